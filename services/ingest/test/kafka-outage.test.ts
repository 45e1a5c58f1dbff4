import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { down, startComponent, stopComponent, up } from '@event-pipeline/stack';
import { EVENT_HEADERS, headerText } from '@event-pipeline/platform';
import { setting, uniqueName } from '../../../test/support/stack.ts';
import { createTopic, post, readTopic, startIngestUnderTest } from './harness.ts';
import type { IngestUnderTest } from './harness.ts';

describe('Kafka stopped mid-run (private Kafka)', () => {
  let stateDir: string;
  let brokers: string;
  let ingest: IngestUnderTest | undefined;

  before(async () => {
    stateDir = await mkdtemp(path.join(tmpdir(), 'ingest-kafka-outage-'));
    const { env } = await up(['kafka'], { stateDir });
    brokers = env.KAFKA_BROKERS ?? '';
  });
  after(async () => {
    await ingest?.stop();
    await down({ stateDir });
  });

  it('answers 503 with Retry-After while Kafka is down, and every event that got a 2xx is in the topic afterwards', async (t) => {
    const topic = uniqueName('ingest-outage');
    await createTopic(brokers, topic, 3);
    const started = await startIngestUnderTest({
      brokers,
      redisUrl: await setting('REDIS_URL'),
      topic,
      redisKeyPrefix: `${uniqueName('ingest-outage')}:`,
      sendTimeoutMs: 3_000,
    });
    ingest = started;
    const accepted = new Set<string>();
    const statuses = new Map<number, number>();
    let retryAfterSeen = false;
    let phase: 'before' | 'down' | 'after' = 'before';
    let acceptedAfter = 0;
    const byPhase = {
      before: new Map<number, number>(),
      down: new Map<number, number>(),
      after: new Map<number, number>(),
    };
    let sequence = 0;
    let running = true;

    const worker = async (name: number) => {
      while (running) {
        sequence += 1;
        const id = `evt-${name}-${sequence}`;
        const single = sequence % 2 === 0;
        const body = single
          ? JSON.stringify({ type: 'outage', id, userId: `u-${sequence % 13}` })
          : JSON.stringify({
              events: [
                { type: 'outage', id },
                { type: 'outage', id: `${id}-b` },
              ],
            });
        const response = await post(`${started.url}/v1/${single ? 'events' : 'batch'}`, body);
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        byPhase[phase].set(response.status, (byPhase[phase].get(response.status) ?? 0) + 1);
        if (response.status === 202) {
          accepted.add(id);
          if (!single) accepted.add(`${id}-b`);
          if (phase === 'after') acceptedAfter += 1;
        } else if (response.status === 503) {
          if (response.headers.get('retry-after') !== null) retryAfterSeen = true;
          await sleep(20);
        }
      }
    };
    const workers = Array.from({ length: 8 }, (_, i) => worker(i));
    await sleep(2_000);
    phase = 'down';
    await stopComponent({ stateDir, component: 'kafka' });
    await sleep(8_000);
    await startComponent({ stateDir, component: 'kafka' });
    phase = 'after';
    const deadline = Date.now() + 90_000;
    while (acceptedAfter < 50 && Date.now() < deadline) await sleep(200);
    running = false;
    await Promise.all(workers);

    const summary = JSON.stringify(
      Object.fromEntries(
        Object.entries(byPhase).map(([name, map]) => [name, Object.fromEntries(map)]),
      ),
    );
    t.diagnostic(`statuses ${summary}; ${accepted.size} events acknowledged`);
    assert.ok((statuses.get(503) ?? 0) > 0, `some requests got 503: ${summary}`);
    assert.ok(retryAfterSeen, '503s carry Retry-After');
    assert.ok(acceptedAfter >= 50, `ingest accepts again after Kafka is back: ${summary}`);
    assert.deepEqual(
      [...statuses.keys()].filter((status) => status !== 202 && status !== 503),
      [],
      `only 202 and 503: ${summary}`,
    );

    const inTopic = new Set(
      (await readTopic(brokers, topic, 120_000)).map((m) =>
        headerText(m.headers, EVENT_HEADERS.dedupKey),
      ),
    );
    const missing = [...accepted].filter((id) => !inTopic.has(id));
    assert.deepEqual(
      missing.slice(0, 10),
      [],
      `${missing.length} of ${accepted.size} acknowledged events are missing`,
    );
  });
});
