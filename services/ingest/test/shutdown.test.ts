import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { EVENT_HEADERS, headerText } from '@event-pipeline/platform';
import { setting, uniqueName } from '../../../test/support/stack.ts';
import { MIN_WORKER_BODY_BYTES } from '../src/prepare-pool.ts';
import { API_KEY, createTopic, readTopic, startIngestUnderTest } from './harness.ts';

/** A request whose body is only half sent until `finish` is called: in flight for sure. */
function halfSent(url: string, body: string, route: '/v1/events' | '/v1/batch' = '/v1/events') {
  const half = Math.floor(body.length / 2);
  let finish: () => void = () => undefined;
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      `${url}${route}`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${API_KEY}`,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: text });
        });
      },
    );
    req.on('error', reject);
    req.write(body.slice(0, half));
    finish = () => req.end(body.slice(half));
  });
  return { response, finish: () => finish() };
}

describe('graceful shutdown', () => {
  it('stops accepting, answers the requests in flight after their produce, then disconnects', async () => {
    const brokers = await setting('KAFKA_BROKERS');
    const topic = uniqueName('ingest-shutdown');
    await createTopic(brokers, topic, 2);
    const ingest = await startIngestUnderTest({
      brokers,
      redisUrl: await setting('REDIS_URL'),
      topic,
      redisKeyPrefix: `${uniqueName('ingest-shutdown')}:`,
    });
    try {
      let received = 0;
      ingest.server.server.on('request', () => (received += 1));
      const ids = Array.from({ length: 10 }, (_, i) => `evt-shutdown-${i}`);
      const pending = ids.map((id) => halfSent(ingest.url, JSON.stringify({ type: 's', id })));
      // A batch large enough for the prepare thread: it is in flight on that thread too.
      const batchIds = Array.from({ length: 40 }, (_, i) => `evt-shutdown-batch-${i}`);
      const batchBody = JSON.stringify({
        events: batchIds.map((id) => ({ type: 's', id, properties: { pad: 'x'.repeat(200) } })),
      });
      assert.ok(batchBody.length >= MIN_WORKER_BODY_BYTES);
      pending.push(halfSent(ingest.url, batchBody, '/v1/batch'));
      while (received < pending.length) await sleep(10);

      const stopping = ingest.server.stop('test');
      await sleep(100);
      await assert.rejects(fetch(`${ingest.url}/livez`), 'no new connections once stopping');
      for (const request of pending) request.finish();
      const responses = await Promise.all(pending.map((request) => request.response));
      const report = await stopping;

      assert.ok(report.ok, JSON.stringify(report.steps));
      assert.deepEqual(
        report.steps.map((step) => step.phase),
        ['not-ready', 'stop-intake', 'drain', 'drain', 'drain'],
      );
      assert.deepEqual(
        report.steps.filter((step) => step.phase === 'drain').map((step) => step.name),
        [
          'ingest: finish in-flight requests',
          'prepare threads: stop',
          'kafka producer: flush and disconnect',
        ],
      );
      assert.deepEqual(
        responses.map((r) => r.status),
        pending.map(() => 202),
      );
      assert.equal(
        (JSON.parse(responses.at(-1)?.body ?? '{}') as { accepted?: number }).accepted,
        batchIds.length,
      );
      assert.equal(ingest.producer.connected(), false, 'the producer is disconnected');
      const found = new Set(
        (await readTopic(brokers, topic)).map((m) => headerText(m.headers, EVENT_HEADERS.dedupKey)),
      );
      assert.deepEqual(
        [...ids, ...batchIds].filter((id) => !found.has(id)),
        [],
      );
    } finally {
      await ingest.server.stop('test cleanup');
      ingest.redis.disconnect();
    }
  });
});
