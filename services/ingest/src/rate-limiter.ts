import type { Redis } from 'ioredis';
import type { Logger } from '@event-pipeline/platform';
import { TOKEN_BUCKET_LUA, takeTokens } from './token-bucket.ts';
import type { BucketRule, BucketState } from './token-bucket.ts';

export type RedisDownMode = 'open' | 'closed';

export interface RateDecision {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** Infinity when the request is larger than the burst and can never pass. */
  readonly retryAfterMs: number;
  readonly resetMs: number;
  /** Who decided: the shared Redis bucket, the local fallback bucket, or nobody (fail-closed). */
  readonly source: 'redis' | 'local' | 'unavailable';
}

export interface RateLimiter {
  take(principal: string, cost: number): Promise<RateDecision>;
  /** Whether the last Redis call succeeded. */
  redisUp(): boolean;
}

export interface RateLimiterOptions extends BucketRule {
  readonly redis: Redis;
  readonly keyPrefix: string;
  readonly whenRedisDown: RedisDownMode;
  readonly logger: Logger;
  /** Each call that Redis could not answer, by the fallback taken. */
  readonly onFallback?: (mode: RedisDownMode) => void;
  readonly onRedisState?: (up: boolean) => void;
  readonly now?: () => number;
  /** Principals remembered by the local fallback; the oldest is forgotten past this. */
  readonly maxLocalBuckets?: number;
}

type BucketRedis = Redis & {
  eventpipelineTokenBucket(
    key: string,
    rate: number,
    burst: number,
    cost: number,
  ): Promise<[number, number, number, number]>;
};

/**
 * Token buckets in Redis (one Lua script, atomic, shared by every replica), counting events. When
 * Redis cannot answer, a bucket in this process takes over (open) or requests are refused (closed).
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { redis, keyPrefix, whenRedisDown, rate, burst, onFallback, onRedisState } = options;
  const now = options.now ?? Date.now;
  const maxLocalBuckets = options.maxLocalBuckets ?? 10_000;
  const log = options.logger.child({ component: 'rate-limiter' });
  if (!('eventpipelineTokenBucket' in redis)) {
    redis.defineCommand('eventpipelineTokenBucket', { numberOfKeys: 1, lua: TOKEN_BUCKET_LUA });
  }
  const scripted = redis as BucketRedis;
  const local = new Map<string, BucketState>();
  let up = true;

  const setUp = (next: boolean, error?: unknown) => {
    if (next === up) return;
    up = next;
    onRedisState?.(next);
    if (next) log.info('Redis answers again: rate limits are shared across replicas');
    else
      log.warn(
        { err: error, mode: whenRedisDown },
        whenRedisDown === 'open'
          ? 'Redis unreachable: rate limiting falls back to a local bucket per process'
          : 'Redis unreachable: refusing requests (RATE_LIMIT_REDIS_DOWN=closed)',
      );
  };

  const takeLocally = (principal: string, cost: number): RateDecision => {
    const decision = takeTokens(local.get(principal), cost, now(), { rate, burst });
    local.delete(principal);
    local.set(principal, decision.state);
    if (local.size > maxLocalBuckets) {
      const oldest = local.keys().next();
      if (oldest.done !== true) local.delete(oldest.value);
    }
    return { ...decision, limit: burst, source: 'local' };
  };

  return {
    redisUp: () => up,
    take: async (principal, cost) => {
      try {
        const [allowed, remaining, retry, reset] = await scripted.eventpipelineTokenBucket(
          `${keyPrefix}ratelimit:${principal}`,
          rate,
          burst,
          cost,
        );
        setUp(true);
        return {
          allowed: allowed === 1,
          limit: burst,
          remaining,
          retryAfterMs: retry < 0 ? Number.POSITIVE_INFINITY : retry,
          resetMs: reset,
          source: 'redis',
        };
      } catch (error) {
        setUp(false, error);
        onFallback?.(whenRedisDown);
        if (whenRedisDown === 'open') return takeLocally(principal, cost);
        return {
          allowed: false,
          limit: burst,
          remaining: 0,
          retryAfterMs: 1000,
          resetMs: 1000,
          source: 'unavailable',
        };
      }
    },
  };
}
