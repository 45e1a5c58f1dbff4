import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { REDACTED, createLogger } from './logging.ts';

function capture(level: 'debug' | 'info' = 'info') {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    name: 'test',
    level,
    destination: {
      write: (line: string) => {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  });
  return { logger, lines };
}

describe('createLogger', () => {
  it('writes JSON lines with name, level label and ISO time', () => {
    const { logger, lines } = capture();
    logger.info({ partition: 3 }, 'assigned');
    assert.equal(lines.length, 1);
    const line = lines[0];
    assert.ok(line);
    assert.equal(line.name, 'test');
    assert.equal(line.level, 'info');
    assert.equal(line.msg, 'assigned');
    assert.equal(line.partition, 3);
    assert.match(String(line.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('respects the level', () => {
    const { logger, lines } = capture('info');
    logger.debug('hidden');
    logger.warn('shown');
    assert.deepEqual(
      lines.map((line) => line.msg),
      ['shown'],
    );
  });

  it('redacts authorization headers and API keys', () => {
    const { logger, lines } = capture();
    logger.info({
      req: {
        method: 'POST',
        headers: { authorization: 'Bearer abc', 'x-api-key': 'k-123', 'content-type': 'json' },
      },
      apiKey: 'k-456',
      tenant: { apiKey: 'k-789', password: 'hunter2' },
    });
    const text = JSON.stringify(lines);
    for (const secret of ['Bearer abc', 'k-123', 'k-456', 'k-789', 'hunter2']) {
      assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
    }
    assert.deepEqual(lines[0]?.req, {
      method: 'POST',
      headers: { authorization: REDACTED, 'x-api-key': REDACTED, 'content-type': 'json' },
    });
  });

  it('redacts event payloads but keeps their identity', () => {
    const { logger, lines } = capture();
    logger.warn(
      {
        event: { type: 'page_view', properties: { email: 'a@b.c' }, context: { ip: '10.0.0.1' } },
        batch: { events: [{ type: 'click', properties: { card: '4111' } }] },
      },
      'rejected',
    );
    const text = JSON.stringify(lines);
    for (const secret of ['a@b.c', '10.0.0.1', '4111']) assert.ok(!text.includes(secret), text);
    assert.deepEqual(lines[0]?.event, {
      type: 'page_view',
      properties: REDACTED,
      context: REDACTED,
    });
  });

  it('keeps redacting in child loggers', () => {
    const { logger, lines } = capture();
    logger.child({ component: 'ingest' }).info({ req: { headers: { authorization: 'Basic x' } } });
    assert.equal(lines[0]?.component, 'ingest');
    assert.ok(!JSON.stringify(lines).includes('Basic x'));
  });

  it('writes redacted human-readable lines when pretty', async () => {
    const chunks: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk.toString('utf8'));
        done();
      },
    });
    const logger = createLogger({ name: 'dev', pretty: true, destination });
    logger.info({ req: { headers: { authorization: 'Bearer abc' } } }, 'hello there');
    await new Promise((resolve) => setImmediate(resolve));
    const text = chunks.join('');
    assert.match(text, /INFO \(dev\/\d+\): hello there/);
    assert.throws(() => JSON.parse(text) as unknown, SyntaxError);
    assert.ok(!text.includes('Bearer abc'), text);
  });
});
