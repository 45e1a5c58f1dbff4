// The dedup consumer process: reads the environment once, wires dependencies, handles signals.
import {
  createKafkaClient,
  createLifecycle,
  createLogger,
  createMetrics,
  logProcessWarnings,
  parseConfig,
  startTracing,
} from '@event-pipeline/platform';
import { dedupConsumerConfigSchema } from './config.ts';
import { startConsumer } from './consumer.ts';
import { createRedisClient } from './dedup/redis-client.ts';
import { createDatabase } from './storage/database.ts';

const config = parseConfig(dedupConsumerConfigSchema);
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
