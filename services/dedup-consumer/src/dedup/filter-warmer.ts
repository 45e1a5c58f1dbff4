import type { Logger } from '@event-pipeline/platform';
import type { ConsumerMetrics } from '../consumer-metrics.ts';
import { redisErrorText } from './redis-client.ts';
import type { RedisDedup } from './redis-dedup.ts';

export interface FilterWarmer {
  /** Starts a warm-up in the background (another one after it, if one is running). */
  request(): void;
  /** Resolves when no warm-up is running. */
  drain(): Promise<void>;
}

/**
 * Warms the Bloom filter from the Redis marks whenever the consumer joins its group (start-up and
 * every rebalance), in the background: batches are stored meanwhile, their retries of keys stored
 * elsewhere just go to PostgreSQL until it is done. A failure is logged and counted, never thrown.
 */
export function createFilterWarmer({
  redisDedup,
  now,
  logger,
  metrics,
}: {
  readonly redisDedup: RedisDedup | undefined;
  readonly now: () => Date;
  readonly logger: Logger;
  readonly metrics: ConsumerMetrics;
}): FilterWarmer {
  let running: Promise<void> | undefined;
  let again = false;
  const request = (): void => {
    if (redisDedup === undefined) return;
    if (running !== undefined) {
      again = true;
      return;
    }
    const started = performance.now();
    running = redisDedup
      .warm(now().getTime())
      .then((marks) => {
        const ms = Math.round(performance.now() - started);
        metrics.bloomWarmMarks.set(marks);
        logger.info({ marks, ms }, 'Bloom filter warmed from the Redis marks');
      })
      .catch((error: unknown) => {
        metrics.redisErrors.inc({ operation: 'warm' });
        logger.warn(
          { error: redisErrorText(error) },
          'Bloom filter not warmed from Redis; retries of keys stored elsewhere go to PostgreSQL',
        );
      })
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          request();
        }
      });
  };
  return {
    request,
    drain: async () => {
      while (running !== undefined) await running;
    },
  };
}
