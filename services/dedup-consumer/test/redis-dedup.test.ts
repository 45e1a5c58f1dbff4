import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { setting, uniqueName } from '../../../test/support/stack.ts';
import { createRedisClient } from '../src/dedup/redis-client.ts';
import { createRedisDedup } from '../src/dedup/redis-dedup.ts';

const HOUR = 3_600_000;

describe('Redis fast path (time-sliced Bloom filter + exact marks)', () => {
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
    const statuses = await dedup.probe(others, now);
    assert.ok(
      statuses.every((status) => status === 'maybe'),
      'the filter is saturated',
    );
    assert.ok((await dedup.probe(recorded, now)).every((status) => status === 'stored'));
  });

  it('still finds a mark from an earlier slice of the window, and forgets it beyond the window', async () => {
    const dedup = createRedisDedup({ redis, prefix: uniqueName('t'), windowMs: 24 * HOUR });
    const then = Date.now();
    await dedup.recordStored(['k'], then);
    assert.deepEqual(await dedup.probe(['k'], then + 20 * HOUR), ['stored']);
    assert.deepEqual(await dedup.probe(['k'], then + 49 * HOUR), ['absent']);
  });

  it('expires its slices: memory stays bounded to the window', async () => {
    const prefix = uniqueName('t');
    const dedup = createRedisDedup({ redis, prefix, windowMs: 24 * HOUR });
    await dedup.recordStored(['x'], Date.now());
    const keys = await redis.keys(`${prefix}:*`);
    assert.equal(keys.length, 2);
    for (const key of keys) {
      const ttl = await redis.pttl(key);
      assert.ok(ttl > 24 * HOUR && ttl <= 48 * HOUR, `${key}: ${ttl}`);
    }
  });
});
