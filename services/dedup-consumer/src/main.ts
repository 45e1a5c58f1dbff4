// The dedup consumer process: reads the environment once, wires dependencies, handles signals.
import { z } from 'zod';
import {
  createKafkaClient,
  createLifecycle,
  createLogger,
  createMetrics,
  env,
  logProcessWarnings,
  parseConfig,
  startTracing,
} from '@event-pipeline/platform';
import { startConsumer } from './consumer.ts';
import { createRedisClient } from './dedup/redis-client.ts';
import { createDatabase } from './storage/database.ts';

const configSchema = z.object({
  KAFKA_BROKERS: env.list(),
  KAFKA_TOPIC: z.string().min(1),
  KAFKA_GROUP_ID: z.string().min(1).optional(),
  PIPELINE_NAME: z.string().min(1),
  DATABASE_URL: z.string().min(1),
  /** Optional: without it every key is checked in PostgreSQL only. */
  REDIS_URL: z.string().min(1).optional(),
  DEDUP_WINDOW: env.duration().prefault('24h'),
  BATCH_SIZE: env.positiveInt({ max: 50_000 }).prefault('2000'),
  FETCH_MAX_BYTES_PER_PARTITION: env.byteSize().optional(),
  /** The old name: refused rather than ignored, so a deployment that set it hears about it. */
  BATCH_MAX_BYTES_PER_PARTITION: z
    .undefined({
      error: 'renamed: set FETCH_MAX_BYTES_PER_PARTITION (and see FETCH_MAX_BYTES) instead',
    })
    .optional(),
  FETCH_MAX_BYTES: env.byteSize().optional(),
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

const config = parseConfig(configSchema);
const logger = createLogger({ name: 'dedup-consumer', level: config.LOG_LEVEL });
logProcessWarnings(logger);
const tracing = await startTracing({ serviceName: 'dedup-consumer' });
const lifecycle = createLifecycle({ logger, timeoutMs: config.SHUTDOWN_TIMEOUT });
lifecycle.installSignalHandlers(process);

const db = createDatabase({
  connectionString: config.DATABASE_URL,
  maxConnections: config.DATABASE_POOL_SIZE,
  onConnectionError: (error) => {
    logger.warn({ err: error }, 'PostgreSQL ended a pooled session; the pool reconnects');
  },
});
const redis =
  config.REDIS_URL === undefined
    ? undefined
    : createRedisClient(config.REDIS_URL, (error) => {
        logger.debug({ err: error }, 'redis connection error');
      });

lifecycle.onShutdown('postgres', () => db.destroy());
lifecycle.onShutdown('redis', async () => {
  await redis?.quit();
});
lifecycle.onShutdown('tracing', () => tracing.shutdown());

try {
  const consumer = await startConsumer({
    kafka: createKafkaClient({ brokers: config.KAFKA_BROKERS, clientId: 'dedup-consumer', logger }),
    db,
    redis,
    logger,
    metrics: createMetrics({ pipeline: config.PIPELINE_NAME }),
    topic: config.KAFKA_TOPIC,
    groupId: config.KAFKA_GROUP_ID ?? `${config.PIPELINE_NAME}-dedup`,
    pipeline: config.PIPELINE_NAME,
    windowMs: config.DEDUP_WINDOW,
    batchSize: config.BATCH_SIZE,
    maxBytesPerPartition: config.FETCH_MAX_BYTES_PER_PARTITION,
    maxBytesPerFetch: config.FETCH_MAX_BYTES,
    partitionsConsumedConcurrently: config.PARTITIONS_CONSUMED_CONCURRENTLY,
    lagIntervalMs: config.LAG_INTERVAL,
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT,
    heartbeatIntervalMs: config.KAFKA_HEARTBEAT_INTERVAL,
    bloom: { bits: config.BLOOM_BITS, hashes: config.BLOOM_HASHES },
    port: config.PORT,
  });
  logger.info({ port: consumer.port, topic: config.KAFKA_TOPIC }, 'dedup consumer started');
  lifecycle.onShutdown('consumer', () => consumer.stop(), { phase: 'drain' });
} catch (error) {
  logger.fatal({ err: error }, 'dedup consumer could not start');
  process.exitCode = 1;
  await lifecycle.shutdown('start-up failed');
}
