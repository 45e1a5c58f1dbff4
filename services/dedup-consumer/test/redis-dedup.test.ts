import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { setting, uniqueName } from '../../../test/support/stack.ts';
import { createRedisClient } from '../src/dedup/redis-client.ts';
import { createRedisDedup } from '../src/dedup/redis-dedup.ts';

const HOUR = 3_600_000;

describe('dedup fast path (Bloom filter in the consumer + exact marks in Redis)', () => {
  let redis: Redis;
  before(async () => {
    redis = createRedisClient(await setting('REDIS_URL'), () => undefined);
    await once(redis, 'ready');
  });
  after(() => {
    redis.disconnect();
  });

  it('knows nothing of new keys and marks a key stored only after recordStored', async () => {
    const dedup = createRedisDedup({ redis, prefix: uniqueName('t'), windowMs: 24 * HOUR });
    const now = Date.now();
    assert.deepEqual(await dedup.probe(['a', 'b'], now), ['absent', 'absent']);
    await dedup.recordStored(['a'], now);
    assert.deepEqual(await dedup.probe(['a', 'b'], now), ['stored', 'absent']);
  });

  it('asks Redis nothing about keys its filter has not seen', async () => {
    // A client that cannot reach Redis (port 1 refuses): a probe that sent a command would fail.
    const unreachable = createRedisClient('redis://127.0.0.1:1', () => undefined);
    try {
      const dedup = createRedisDedup({
        redis: unreachable,
        prefix: uniqueName('t'),
        windowMs: 24 * HOUR,
      });
      const keys = Array.from({ length: 2_000 }, (_, i) => `new-${i}`);
      const statuses = await dedup.probe(keys, Date.now());
      assert.ok(statuses.every((status) => status === 'absent'));
      await assert.rejects(dedup.recordStored(['x'], Date.now()));
      await assert.rejects(dedup.probe(['x'], Date.now()), 'a "maybe" does go to Redis');
    } finally {
      unreachable.disconnect();
    }
  });

  it('never reports "stored" for a key that was not recorded, even when the filter is saturated', async () => {
    // 16 bits and one hash: after 200 keys every bit is set, so the filter says "maybe" to all.
    const dedup = createRedisDedup({
      redis,
      prefix: uniqueName('t'),
      windowMs: 24 * HOUR,
      bloomBits: 16,
      bloomHashes: 1,
    });
    const now = Date.now();
    const recorded = Array.from({ length: 200 }, (_, i) => `in-${i}`);
    const others = Array.from({ length: 200 }, (_, i) => `out-${i}`);
    await dedup.recordStored(recorded, now);
    assert.equal(dedup.bloomFillRatio(now), 1);
    const statuses = await dedup.probe(others, now);
    assert.ok(
      statuses.every((status) => status === 'maybe'),
      'the filter is saturated',
    );
    assert.ok((await dedup.probe(recorded, now)).every((status) => status === 'stored'));
  });

  it('never reports "stored" once the marks are gone (Redis flushed), whatever the filter says', async () => {
    const prefix = uniqueName('t');
    const dedup = createRedisDedup({ redis, prefix, windowMs: 24 * HOUR });
    const now = Date.now();
    await dedup.recordStored(['gone'], now);
    assert.deepEqual(await dedup.probe(['gone'], now), ['stored']);
    await redis.del(...(await redis.keys(`${prefix}:*`)));
    assert.deepEqual(await dedup.probe(['gone'], now), ['maybe']);
  });

  it('shares the marks, not the filter: a key another consumer stored goes to PostgreSQL here', async () => {
    const prefix = uniqueName('t');
    const first = createRedisDedup({ redis, prefix, windowMs: 24 * HOUR });
    const second = createRedisDedup({ redis, prefix, windowMs: 24 * HOUR });
    const now = Date.now();
    await first.recordStored(['k'], now);
    assert.deepEqual(await second.probe(['k'], now), ['absent']);
    await second.recordStored(['k'], now);
    assert.deepEqual(await second.probe(['k'], now), ['stored']);
  });

  it('catches retries of keys another consumer stored once its filter is warmed from the marks', async () => {
    const prefix = uniqueName('t');
    const first = createRedisDedup({ redis, prefix, windowMs: 24 * HOUR });
    const then = Date.now();
    // 12,000 marks (more than one SSCAN page) in one slice, 3 in the next: both are read back.
    const earlier = Array.from({ length: 12_000 }, (_, i) => `early-${i}`);
    await first.recordStored(earlier, then);
    await first.recordStored(['late-1', 'late-2', 'late-3'], then + 24 * HOUR);
    const second = createRedisDedup({ redis, prefix, windowMs: 24 * HOUR });
    const now = then + 24 * HOUR;
    assert.deepEqual(await second.probe(['early-7', 'late-2'], now), ['absent', 'absent']);
    assert.equal(await second.warm(now), 12_003);
    const statuses = await second.probe([...earlier, 'late-1', 'late-2', 'late-3', 'never'], now);
    assert.ok(statuses.slice(0, -1).every((status) => status === 'stored'));
    assert.equal(statuses.at(-1), 'absent');
  });

  it('stops warming a slice once its filter is half full', async () => {
    const prefix = uniqueName('t');
    const first = createRedisDedup({ redis, prefix, windowMs: 24 * HOUR });
    const now = Date.now();
    await first.recordStored(
      Array.from({ length: 20_000 }, (_, i) => `k-${i}`),
      now,
    );
    // 4,096 bits: one SSCAN page of ~5,000 keys sets more than half of them.
    const small = createRedisDedup({ redis, prefix, windowMs: 24 * HOUR, bloomBits: 4_096 });
    const read = await small.warm(now);
    assert.ok(read > 0 && read < 20_000, `read ${read} marks`);
    assert.ok(small.bloomFillRatio(now) >= 0.5);
  });

  it('still finds a mark from an earlier slice of the window, and forgets it beyond the window', async () => {
    const dedup = createRedisDedup({ redis, prefix: uniqueName('t'), windowMs: 24 * HOUR });
    const then = Date.now();
    await dedup.recordStored(['k'], then);
    assert.deepEqual(await dedup.probe(['k'], then + 20 * HOUR), ['stored']);
    assert.deepEqual(await dedup.probe(['k'], then + 49 * HOUR), ['absent']);
  });

  it('expires its marks: Redis memory stays bounded to the window', async () => {
    const prefix = uniqueName('t');
    const dedup = createRedisDedup({ redis, prefix, windowMs: 24 * HOUR });
    await dedup.recordStored(['x', 'y'], Date.now());
    const keys = await redis.keys(`${prefix}:*`);
    assert.equal(keys.length, 1);
    for (const key of keys) {
      assert.equal(await redis.scard(key), 2);
      const ttl = await redis.pttl(key);
      assert.ok(ttl > 24 * HOUR && ttl <= 48 * HOUR, `${key}: ${ttl}`);
    }
  });
});
