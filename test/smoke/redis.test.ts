import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { setting, uniqueName } from '../support/stack.ts';

// Takes up to ARGV[1] tokens from a counter capped at ARGV[2]: atomic because it is one script.
const takeScript = `
local have = tonumber(redis.call('GET', KEYS[1]) or ARGV[2])
local want = tonumber(ARGV[1])
if want > have then return {0, have} end
redis.call('SET', KEYS[1], have - want)
return {1, have - want}
`;

describe('Redis from the stack', () => {
  let redis: Redis & {
    take: (key: string, want: number, cap: number) => Promise<[number, number]>;
  };

  before(async () => {
    const client = new Redis(await setting('REDIS_URL'), { lazyConnect: true });
    client.defineCommand('take', { numberOfKeys: 1, lua: takeScript });
    await client.connect();
    redis = client as typeof redis;
  });
  after(() => {
    redis.disconnect();
  });

  it('runs a Lua script through ioredis atomically under concurrency', async () => {
    const key = uniqueName('smoke-bucket');
    const results = await Promise.all(Array.from({ length: 50 }, () => redis.take(key, 3, 100)));
    const granted = results.filter(([ok]) => ok === 1).length;
    assert.equal(granted, 33); // floor(100 / 3): never more, whatever the interleaving
    assert.equal(await redis.get(key), '1');
  });

  it('has no persistence configured by default', async () => {
    const [, save] = (await redis.config('GET', 'save')) as [string, string];
    const [, aof] = (await redis.config('GET', 'appendonly')) as [string, string];
    assert.equal(save, '');
    assert.equal(aof, 'no');
  });
});
