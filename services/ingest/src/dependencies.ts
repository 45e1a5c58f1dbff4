import { Redis } from 'ioredis';
import { createKafkaClient, createLanedProducer } from '@event-pipeline/platform';
import type { EventCompression, EventProducer, Logger, Metrics } from '@event-pipeline/platform';
import { DEFAULT_PRODUCER_LANES } from './config.ts';
import { createIdempotencyStore } from './idempotency.ts';
import type { IdempotencyStore } from './idempotency.ts';
import { createIngestMetrics } from './ingest-metrics.ts';
import { createRateLimiter } from './rate-limiter.ts';
import type { RateLimiter, RedisDownMode } from './rate-limiter.ts';

export interface ConnectionOptions {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly clientId: string;
  readonly redisUrl: string;
  readonly redisKeyPrefix: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly rate: number;
  readonly burst: number;
  readonly whenRedisDown: RedisDownMode;
  readonly idempotencyTtlMs: number;
  readonly compression?: EventCompression;
  readonly compressMinBytes?: number;
  readonly lingerMs?: number;
  readonly maxBatchMessages?: number;
  readonly maxBatchBytes?: number;
  readonly maxBufferedMessages?: number;
  readonly sendTimeoutMs?: number;
  /** Idempotent producers side by side; 1 is a single producer. */
  readonly producerLanes?: number;
}

export interface Connections {
  readonly producer: EventProducer;
  readonly limiter: RateLimiter;
  readonly idempotency: IdempotencyStore;
  readonly redis: Redis;
}

/**
 * The real clients ingest runs on: a Redis client that fails fast (no offline queue, short
 * command timeout) so the rate limiter's fallback decides at once, and the micro-batching
 * producer with its metrics. The producer still has to be connected.
 */
export function createConnections(options: ConnectionOptions): Connections {
  const { logger, metrics } = options;
  const m = createIngestMetrics(metrics);
  const redis = new Redis(options.redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 1_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  redis.on('error', () => {
    // The rate limiter logs the transitions; ioredis would report every reconnect attempt.
  });
  const kafka = createKafkaClient({
    brokers: options.brokers,
    clientId: options.clientId,
    logger,
    config: { retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2_000 } },
  });
  const producer = createLanedProducer({
    lanes: options.producerLanes ?? DEFAULT_PRODUCER_LANES,
    kafka,
    topic: options.topic,
    logger,
    ...(options.compression === undefined ? {} : { compression: options.compression }),
    ...(options.compressMinBytes === undefined
      ? {}
      : { compressMinBytes: options.compressMinBytes }),
    ...(options.lingerMs === undefined ? {} : { lingerMs: options.lingerMs }),
    ...(options.maxBatchMessages === undefined
      ? {}
      : { maxBatchMessages: options.maxBatchMessages }),
    ...(options.maxBatchBytes === undefined ? {} : { maxBatchBytes: options.maxBatchBytes }),
    ...(options.maxBufferedMessages === undefined
      ? {}
      : { maxBufferedMessages: options.maxBufferedMessages }),
    ...(options.sendTimeoutMs === undefined ? {} : { sendTimeoutMs: options.sendTimeoutMs }),
    onBatch: ({ messages, seconds, ok }) => {
      m.produceDuration.observe({ outcome: ok ? 'ok' : 'failed' }, seconds);
      m.produceBatchSize.observe(messages);
    },
  });
  const limiter = createRateLimiter({
    redis,
    keyPrefix: options.redisKeyPrefix,
    rate: options.rate,
    burst: options.burst,
    whenRedisDown: options.whenRedisDown,
    logger,
    onFallback: (mode) => m.rateLimiterFallback.inc({ mode }),
  });
  const idempotency = createIdempotencyStore({
    redis,
    keyPrefix: options.redisKeyPrefix,
    ttlMs: options.idempotencyTtlMs,
  });
  return { producer, limiter, idempotency, redis };
}
