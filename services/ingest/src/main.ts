import { readFile } from 'node:fs/promises';
import {
  createLifecycle,
  createLogger,
  createMetrics,
  logProcessWarnings,
  parseConfig,
  startTracing,
} from '@event-pipeline/platform';
import { createApiKeys, parseApiKeysFile } from './api-keys.ts';
import { ingestConfigSchema, limitsOf } from './config.ts';
import { createConnections } from './dependencies.ts';
import { resolvePrepareThreads } from './prepare-pool.ts';
import { startIngest } from './server.ts';

const config = parseConfig(ingestConfigSchema, process.env);
const logger = createLogger({ name: 'ingest', level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });
logProcessWarnings(logger);
const tracing = await startTracing({ serviceName: 'ingest' });
const lifecycle = createLifecycle({ logger, timeoutMs: config.SHUTDOWN_TIMEOUT });

const auth = createApiKeys([
  ...(config.API_KEYS ?? []),
  ...(config.API_KEYS_FILE === undefined
    ? []
    : parseApiKeysFile(await readFile(config.API_KEYS_FILE, 'utf8'))),
]);
if (auth.size === 0) {
  logger.fatal('no API keys configured (API_KEYS_FILE is empty): every request would be refused');
  process.exit(1);
}

const metrics = createMetrics({ pipeline: config.PIPELINE_NAME });
const { producer, limiter, idempotency, redis } = createConnections({
  brokers: config.KAFKA_BROKERS,
  topic: config.KAFKA_TOPIC,
  clientId: config.KAFKA_CLIENT_ID,
  redisUrl: config.REDIS_URL,
  redisKeyPrefix: config.REDIS_KEY_PREFIX,
  logger,
  metrics,
  rate: config.RATE_LIMIT_EVENTS_PER_SECOND,
  burst: config.RATE_LIMIT_BURST,
  whenRedisDown: config.RATE_LIMIT_REDIS_DOWN,
  idempotencyTtlMs: config.IDEMPOTENCY_TTL,
  compression: config.KAFKA_COMPRESSION,
  compressMinBytes: config.KAFKA_COMPRESSION_MIN_BATCH_BYTES,
  lingerMs: config.KAFKA_LINGER,
  maxBatchMessages: config.KAFKA_BATCH_MESSAGES,
  maxBatchBytes: config.KAFKA_BATCH_BYTES,
  maxBufferedMessages: config.KAFKA_BUFFER_MESSAGES,
  sendTimeoutMs: config.KAFKA_SEND_TIMEOUT,
  producerLanes: config.KAFKA_PRODUCER_LANES,
});
lifecycle.onShutdown('redis: quit', async () => {
  await redis.quit();
});
lifecycle.onShutdown('tracing: flush', () => tracing.shutdown());
lifecycle.installSignalHandlers(process);
await producer.connect();

const server = await startIngest(
  {
    producer,
    limiter,
    idempotency,
    auth,
    logger,
    metrics,
    config: {
      pipeline: config.PIPELINE_NAME,
      limits: limitsOf(config),
      rateLimitBy: config.RATE_LIMIT_BY,
      trustProxy: config.TRUST_PROXY,
      prepareThreads: resolvePrepareThreads(config.PREPARE_THREADS),
    },
  },
  {
    port: config.PORT,
    host: config.HOST,
    lifecycle,
    checks:
      config.RATE_LIMIT_REDIS_DOWN === 'closed'
        ? [
            {
              name: 'redis',
              check: async () => {
                await redis.ping();
              },
            },
          ]
        : [],
  },
);
logger.info({ port: server.port, topic: config.KAFKA_TOPIC }, 'ingest ready');
