import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { createLogger } from '@event-pipeline/platform';
import { setting, uniqueName } from '../../../test/support/stack.ts';
import { createRateLimiter } from '../src/rate-limiter.ts';
import { takeTokens } from '../src/token-bucket.ts';
import type { BucketState } from '../src/token-bucket.ts';

const logger = createLogger({ name: 'rate-limiter-test', level: 'silent' });
// A refill too slow to matter within a test: every decision depends on the order of takes alone.
const rule = { rate: 0.001, burst: 50 };

describe('rate limiter: the takes of one event-loop turn decided by one Redis call', () => {
  let redis: Redis;
  let calls = 0;
  /** A limiter on buckets no other test uses. */
  const freshLimiter = (bucket = rule) =>
    createRateLimiter({
      redis,
      keyPrefix: `${uniqueName('limiter')}:`,
      ...bucket,
      whenRedisDown: 'closed',
      logger,
    });

  before(async () => {
    redis = new Redis(await setting('REDIS_URL'), { maxRetriesPerRequest: 0 });
    // Load the script first: ioredis resends an EVALSHA (as EVAL) when Redis does not know it.
    await freshLimiter().take('warm-up', 1);
    const send = redis.sendCommand.bind(redis);
    redis.sendCommand = (command, stream) => {
      if (command.name === 'evalsha') calls += 1;
      return send(command, stream);
    };
  });
  after(() => {
    redis.disconnect();
  });

  it('decides concurrent takes in arrival order, exactly as takeTokens does one by one', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 30 })), {
          minLength: 1,
          maxLength: 80,
        }),
        async (takes) => {
          const limiter = freshLimiter();
          const before = calls;
          const decisions = await Promise.all(
            takes.map(([principal, cost]) => limiter.take(principal, cost)),
          );
          assert.equal(calls - before, 1, 'one script call for one turn of the event loop');
          const model = new Map<string, BucketState>();
          assert.equal(decisions.length, takes.length);
          decisions.forEach((got, i) => {
            const [principal, cost] = takes[i] ?? ['', 0];
            const expected = takeTokens(model.get(principal), cost, 0, rule);
            model.set(principal, expected.state);
            assert.equal(got.source, 'redis');
            assert.equal(got.allowed, expected.allowed, `take ${i} (${principal}, ${cost})`);
            assert.equal(got.remaining, expected.remaining, `remaining after take ${i}`);
            assert.equal(got.limit, rule.burst);
            if (!expected.allowed) assert.ok(got.retryAfterMs > 0);
          });
        },
      ),
      { numRuns: 40 },
    );
  });

  it('keeps the bucket between calls and says a request above the burst can never pass', async () => {
    const limiter = freshLimiter();
    assert.equal((await limiter.take('k', 45)).remaining, 5);
    const refused = await limiter.take('k', 6);
    assert.equal(refused.allowed, false);
    assert.equal(refused.remaining, 5);
    assert.equal((await limiter.take('k', 51)).retryAfterMs, Number.POSITIVE_INFINITY);
    assert.equal((await limiter.take('k', 5)).allowed, true);
  });

  it('spreads a turn with more takes than one call carries over several calls', async () => {
    const limiter = freshLimiter({ rate: 0.001, burst: 1000 });
    const before = calls;
    const decisions = await Promise.all(Array.from({ length: 600 }, () => limiter.take('k', 2)));
    assert.equal(calls - before, 3, '600 takes at 256 per call');
    assert.equal(decisions.filter((d) => d.allowed).length, 500, 'burst 1000 at 2 per take');
  });
});

describe('rate limiter without Redis', () => {
  for (const mode of ['open', 'closed'] as const) {
    it(`${mode}: every take of the failed call gets the fallback decision`, async () => {
      // A port nothing listens on, and no offline queue: each call fails at once.
      const redis = new Redis({
        port: 1,
        host: '127.0.0.1',
        enableOfflineQueue: false,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
      });
      const fallbacks: string[] = [];
      const states: boolean[] = [];
      const limiter = createRateLimiter({
        redis,
        keyPrefix: 'unreachable:',
        rate: 0.001,
        burst: 10,
        whenRedisDown: mode,
        logger,
        onFallback: (m) => fallbacks.push(m),
        onRedisState: (up) => states.push(up),
      });
      const decisions = await Promise.all(Array.from({ length: 4 }, () => limiter.take('k', 3)));
      redis.disconnect();
      assert.deepEqual(fallbacks, [mode, mode, mode, mode]);
      assert.deepEqual(states, [false]);
      assert.equal(limiter.redisUp(), false);
      if (mode === 'open') {
        assert.deepEqual(
          decisions.map((d) => [d.source, d.allowed, d.remaining]),
          [
            ['local', true, 7],
            ['local', true, 4],
            ['local', true, 1],
            ['local', false, 1],
          ],
        );
      } else {
        assert.ok(decisions.every((d) => d.source === 'unavailable' && !d.allowed));
      }
    });
  }
});
