import type { Redis } from 'ioredis';
import type { Logger } from '@event-pipeline/platform';
import { TOKEN_BUCKETS_LUA, bucketsCall, takeTokens } from './token-bucket.ts';
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
  eventpipelineTokenBuckets(numberOfKeys: number, ...keysThenArgs: string[]): Promise<number[]>;
};

interface PendingTake {
  readonly principal: string;
  readonly cost: number;
  readonly resolve: (decision: RateDecision) => void;
}

/** Requests decided by one Redis call at most (a busier turn of the event loop makes several). */
const MAX_TAKES_PER_CALL = 256;

/**
 * Token buckets in Redis (one Lua script, atomic, shared by every replica), counting events. The
 * requests that arrive in one turn of the event loop are decided together by one script call, in
 * arrival order: one round trip instead of one per request. When Redis cannot answer, a bucket in
 * this process takes over (open) or requests are refused (closed).
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { redis, keyPrefix, whenRedisDown, rate, burst, onFallback, onRedisState } = options;
  const now = options.now ?? Date.now;
  const maxLocalBuckets = options.maxLocalBuckets ?? 10_000;
  const log = options.logger.child({ component: 'rate-limiter' });
  if (!('eventpipelineTokenBuckets' in redis)) {
    redis.defineCommand('eventpipelineTokenBuckets', { lua: TOKEN_BUCKETS_LUA });
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

  const refuse = (): RateDecision => ({
    allowed: false,
    limit: burst,
    remaining: 0,
    retryAfterMs: 1000,
    resetMs: 1000,
    source: 'unavailable',
  });

  const decide = async (takes: readonly PendingTake[]): Promise<void> => {
    const { keys, args } = bucketsCall(
      takes.map(({ principal, cost }) => ({ key: `${keyPrefix}ratelimit:${principal}`, cost })),
      { rate, burst },
    );
    let replies: number[];
    try {
      replies = await scripted.eventpipelineTokenBuckets(keys.length, ...keys, ...args);
      setUp(true);
    } catch (error) {
      setUp(false, error);
      for (const take of takes) {
        onFallback?.(whenRedisDown);
        take.resolve(whenRedisDown === 'open' ? takeLocally(take.principal, take.cost) : refuse());
      }
      return;
    }
    takes.forEach((take, i) => {
      const retry = replies[4 * i + 2] ?? 0;
      take.resolve({
        allowed: replies[4 * i] === 1,
        limit: burst,
        remaining: replies[4 * i + 1] ?? 0,
        retryAfterMs: retry < 0 ? Number.POSITIVE_INFINITY : retry,
        resetMs: replies[4 * i + 3] ?? 0,
        source: 'redis',
      });
    });
  };

  let queue: PendingTake[] = [];
  const flush = (): void => {
    const takes = queue;
    queue = [];
    for (let i = 0; i < takes.length; i += MAX_TAKES_PER_CALL) {
      void decide(takes.slice(i, i + MAX_TAKES_PER_CALL));
    }
  };

  return {
    redisUp: () => up,
    take: (principal, cost) =>
      new Promise<RateDecision>((resolve) => {
        if (queue.length === 0) setImmediate(flush);
        queue.push({ principal, cost, resolve });
      }),
  };
}
