import { Redis } from 'ioredis';

/**
 * A Redis client that fails fast instead of queueing while Redis is away: a batch then falls back
 * to PostgreSQL at once rather than waiting for a reconnect. It keeps reconnecting in the
 * background, so the fast path comes back by itself.
 */
export function createRedisClient(url: string, onError: (error: Error) => void): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 1_000,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
  redis.on('error', onError);
  return redis;
}

/** The message only: ioredis errors carry the whole command (every key of the batch). */
export function redisErrorText(error: unknown): string {
  return error instanceof Error ? error.message.slice(0, 300) : String(error);
}
