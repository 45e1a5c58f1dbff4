import { z } from 'zod';
import { env, formatByteSize } from '@event-pipeline/platform';

/**
 * Fetch sizes, in compressed bytes as Kafka counts them. A fetch's messages are all decoded and
 * held at once, and gzip'd event batches decode to about nine times their size, so these bound
 * the consumer's memory while it drains a backlog (docs/dedup-consumer.md, Memory).
 */
export const DEFAULT_FETCH_BYTES_PER_PARTITION = 1024 * 1024;
export const DEFAULT_FETCH_BYTES = 4 * 1024 * 1024;

/** Every environment variable the consumer reads; main.ts parses it once with parseConfig. */
export const dedupConsumerConfigSchema = z.object({
  KAFKA_BROKERS: env.list(),
  KAFKA_TOPIC: z.string().min(1),
  KAFKA_GROUP_ID: z.string().min(1).optional(),
  PIPELINE_NAME: z.string().min(1),
  DATABASE_URL: z.string().min(1),
  /** Optional: without it every key is checked in PostgreSQL only. */
  REDIS_URL: z.string().min(1).optional(),
  DEDUP_WINDOW: env.duration().prefault('24h'),
  BATCH_SIZE: env.positiveInt({ max: 50_000 }).prefault('2000'),
  FETCH_MAX_BYTES_PER_PARTITION: env
    .byteSize()
    .prefault(formatByteSize(DEFAULT_FETCH_BYTES_PER_PARTITION)),
  /** The old name: refused rather than ignored, so a deployment that set it hears about it. */
  BATCH_MAX_BYTES_PER_PARTITION: z
    .undefined({
      error: 'renamed: set FETCH_MAX_BYTES_PER_PARTITION (and see FETCH_MAX_BYTES) instead',
    })
    .optional(),
  FETCH_MAX_BYTES: env.byteSize().prefault(formatByteSize(DEFAULT_FETCH_BYTES)),
  PARTITIONS_CONSUMED_CONCURRENTLY: env.positiveInt({ max: 64 }).prefault('2'),
  DATABASE_POOL_SIZE: env.positiveInt({ max: 200 }).prefault('8'),
  BLOOM_BITS: env.positiveInt({ max: 2 ** 30 }).prefault(String(2 ** 23)),
  BLOOM_HASHES: env.positiveInt({ max: 16 }).prefault('4'),
  LAG_INTERVAL: env.duration().prefault('5s'),
  KAFKA_SESSION_TIMEOUT: env.duration().prefault('30s'),
  KAFKA_HEARTBEAT_INTERVAL: env.duration().prefault('3s'),
  PORT: env.port({ allowZero: true }).prefault('9090'),
  LOG_LEVEL: env.logLevel().prefault('info'),
  SHUTDOWN_TIMEOUT: env.duration().prefault('25s'),
});
