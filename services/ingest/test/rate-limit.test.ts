import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { setting, uniqueName } from '../../../test/support/stack.ts';
import { API_KEY, createTopic, post, spawnIngest } from './harness.ts';
import type { IngestProcess } from './harness.ts';

const RATE = 200;
const BURST = 100;
const SECONDS = 10;
const BATCH = 10;

describe('rate limit shared by two ingest instances through Redis', () => {
  let instances: IngestProcess[] = [];

  before(async () => {
    const brokers = await setting('KAFKA_BROKERS');
    const redisUrl = await setting('REDIS_URL');
    const topic = uniqueName('ingest-rate');
    await createTopic(brokers, topic, 3);
    // Two processes (main.ts, configured by env alone), so the load driver has its own event loop.
    const env = {
      PIPELINE_NAME: 'rate-test',
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC: topic,
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: `${uniqueName('ingest-rate')}:`,
      API_KEYS: API_KEY,
      RATE_LIMIT_EVENTS_PER_SECOND: String(RATE),
      RATE_LIMIT_BURST: String(BURST),
    };
    instances = await Promise.all([spawnIngest(env), spawnIngest(env)]);
  });
  after(async () => {
    const codes = await Promise.all(instances.map((instance) => instance.stop()));
    assert.deepEqual(codes, [0, 0], 'both exit 0 after a graceful shutdown on SIGTERM');
  });

  it('accepts rate × 10 s + burst (±10 %) from one key driven at twice its rate, with 429 headers', async (t) => {
    const period = (1000 * BATCH) / RATE; // each instance alone gets the full rate: twice in total
    const started = performance.now();
    let accepted = 0;
    let limited = 0;
    let headersOk = true;
    const drive = async (instance: IngestProcess) => {
      const inFlight: Promise<void>[] = [];
      for (let i = 0; i < (SECONDS * 1000) / period; i += 1) {
        const due = started + i * period;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        inFlight.push(
          post(
            `${instance.url}/v1/batch`,
            JSON.stringify({ events: Array.from({ length: BATCH }, () => ({ type: 'rate' })) }),
          ).then((response) => {
            if (response.status === 202) accepted += BATCH;
            else if (response.status === 429) {
              limited += 1;
              for (const header of [
                'retry-after',
                'ratelimit-limit',
                'ratelimit-remaining',
                'ratelimit-reset',
              ]) {
                if (response.headers.get(header) === null) headersOk = false;
              }
            } else
              throw new Error(`unexpected ${response.status}: ${JSON.stringify(response.body)}`);
          }),
        );
      }
      await Promise.all(inFlight);
    };
    await Promise.all(instances.map(drive));
    const elapsed = (performance.now() - started) / 1000;
    const expected = RATE * SECONDS + BURST;
    t.diagnostic(
      `accepted ${accepted} events (expected ${expected} ± 10 %), ${limited} requests got 429, ${elapsed.toFixed(2)} s`,
    );
    assert.ok(
      Math.abs(accepted - expected) <= expected * 0.1,
      `accepted ${accepted}, expected ${expected} ± 10 %`,
    );
    assert.ok(limited > 0);
    assert.ok(headersOk, '429 carries Retry-After and RateLimit-Limit/Remaining/Reset');
  });
});
