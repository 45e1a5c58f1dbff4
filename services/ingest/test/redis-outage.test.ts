import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { down, killComponent, startComponent, up } from '@event-pipeline/stack';
import { setting, uniqueName } from '../../../test/support/stack.ts';
import { createTopic, post, startIngestUnderTest } from './harness.ts';
import type { IngestUnderTest } from './harness.ts';

async function statusesOf(
  url: string,
  count: number,
  eventsPerRequest = 1,
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < count; i += 1) {
    const response = await post(
      `${url}/v1/batch`,
      JSON.stringify({
        events: Array.from({ length: eventsPerRequest }, () => ({ type: 'redis-outage' })),
      }),
    );
    const code = (response.body as { error?: { code: string } }).error?.code ?? '';
    const key = `${response.status}${code === '' ? '' : ` ${code}`}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

describe('Redis killed mid-run (private Redis)', () => {
  let stateDir: string;
  let open: IngestUnderTest;
  let closed: IngestUnderTest;

  before(async () => {
    stateDir = await mkdtemp(path.join(tmpdir(), 'ingest-redis-outage-'));
    const { env } = await up(['redis'], { stateDir });
    const brokers = await setting('KAFKA_BROKERS');
    const topic = uniqueName('ingest-redis-outage');
    await createTopic(brokers, topic, 1);
    // A slow refill (5 events/s) so the local bucket's limit shows however slow the machine is.
    const common = { brokers, redisUrl: env.REDIS_URL ?? '', topic, rate: 5, burst: 100 };
    open = await startIngestUnderTest({
      ...common,
      redisKeyPrefix: 'open:',
      whenRedisDown: 'open',
    });
    closed = await startIngestUnderTest({
      ...common,
      redisKeyPrefix: 'closed:',
      whenRedisDown: 'closed',
    });
  });
  after(async () => {
    await Promise.allSettled([open.stop(), closed.stop()]);
    await down({ stateDir });
  });

  it('keeps serving under a local bucket (open) or refuses with 503 (closed), and goes back to Redis when it returns', async (t) => {
    assert.deepEqual(Object.fromEntries(await statusesOf(open.url, 3)), { '202': 3 });
    assert.deepEqual(Object.fromEntries(await statusesOf(closed.url, 3)), { '202': 3 });

    await killComponent({ stateDir, component: 'redis' });

    // open: served; the local bucket (burst 100 at 5/s) still limits: 15 × 10 events.
    const openDuring = await statusesOf(open.url, 15, 10);
    t.diagnostic(`open, Redis down: ${JSON.stringify(Object.fromEntries(openDuring))}`);
    assert.ok((openDuring.get('202') ?? 0) >= 10, 'fail-open keeps serving');
    assert.ok((openDuring.get('429 rate_limited') ?? 0) >= 1, 'the local bucket still limits');
    assert.equal(
      [...openDuring.keys()].filter((k) => !['202', '429 rate_limited'].includes(k)).length,
      0,
    );

    const closedDuring = await statusesOf(closed.url, 5);
    t.diagnostic(`closed, Redis down: ${JSON.stringify(Object.fromEntries(closedDuring))}`);
    assert.deepEqual(Object.fromEntries(closedDuring), { '503 unavailable': 5 });

    const metrics = await (await fetch(`${open.url}/metrics`)).text();
    assert.match(
      metrics,
      /eventpipeline_ingest_rate_limiter_fallback_total\{mode="open",pipeline="test"\} [1-9]/,
    );
    assert.match(metrics, /eventpipeline_ingest_redis_up\{pipeline="test"\} 0/);

    await startComponent({ stateDir, component: 'redis' });
    await sleep(3_000);
    for (const ingest of [open, closed]) {
      let recovered = false;
      for (let attempt = 0; attempt < 50 && !recovered; attempt += 1) {
        const response = await post(`${ingest.url}/v1/events`, '{"type":"back"}');
        recovered = response.status === 202 && ingest.limiter.redisUp();
        if (!recovered) await sleep(200);
      }
      assert.ok(recovered, 'rate limiting runs on Redis again');
    }
  });
});
