import { Redis } from 'ioredis';
import type { Kafka, Producer } from 'kafkajs';
import type { Kysely } from 'kysely';
import { createLogger, createMetrics } from '@event-pipeline/platform';
import type { Metrics } from '@event-pipeline/platform';
import { setting, uniqueName } from '../../../test/support/stack.ts';
import { startConsumer } from '../src/consumer.ts';
import type { DedupConsumer } from '../src/consumer.ts';
import { createDatabase } from '../src/storage/database.ts';
import type { Database } from '../src/storage/database.ts';
import { createDatabaseOn, createTopicOn } from './support.ts';

/**
 * One in-process consumer on the shared stack, with a topic, a database and Redis keys of its
 * own, and an idempotent producer for the test to write the topic with.
 */
export interface SharedStackConsumer {
  readonly kafka: Kafka;
  readonly producer: Producer;
  readonly redis: Redis;
  readonly db: Kysely<Database>;
  /** The database's URL. */
  readonly url: string;
  readonly topic: string;
  readonly pipeline: string;
  /** The running consumer; replaced by restart(). */
  readonly consumer: DedupConsumer;
  /** The running consumer's own metrics. */
  readonly metrics: Metrics;
  /** A new consumer in the same group (a restart, a deploy): new metrics, an empty filter. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** `name` prefixes the topic, pipeline, group, database and Redis keys (each made unique). */
export async function startSharedStackConsumer(
  name: string,
  { bloomBits = 2 ** 16 }: { readonly bloomBits?: number } = {},
): Promise<SharedStackConsumer> {
  const topic = uniqueName(`dedup-${name}`);
  const pipeline = uniqueName(name);
  const groupId = uniqueName(`dedup-${name}-group`);
  const redisPrefix = uniqueName(`ep:${name}`);
  const { kafka, admin } = await createTopicOn(
    await setting('KAFKA_BROKERS'),
    `dedup-${name}`,
    topic,
  );
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const redis = new Redis(await setting('REDIS_URL'));
  const url = await createDatabaseOn(await setting('DATABASE_URL'), uniqueName(`dedup_${name}`));
  const db = createDatabase({ connectionString: url });
  const logger = createLogger({ name: `dedup-${name}-test`, level: 'silent' });
  const start = async () => {
    const metrics = createMetrics({ pipeline });
    const consumer = await startConsumer({
      kafka,
      db,
      redis,
      logger,
      metrics,
      topic,
      groupId,
      pipeline,
      windowMs: 86_400_000,
      batchSize: 500,
      partitionsConsumedConcurrently: 2,
      port: 0,
      host: '127.0.0.1',
      redisPrefix,
      bloom: { bits: bloomBits, hashes: 4 },
      lagIntervalMs: 500,
    });
    return { consumer, metrics };
  };
  let running = await start();
  return {
    kafka,
    producer,
    redis,
    db,
    url,
    topic,
    pipeline,
    get consumer() {
      return running.consumer;
    },
    get metrics() {
      return running.metrics;
    },
    restart: async () => {
      await running.consumer.stop();
      running = await start();
    },
    close: async () => {
      await running.consumer.stop();
      await Promise.allSettled([
        producer.disconnect(),
        admin.disconnect(),
        db.destroy(),
        redis.quit(),
      ]);
    },
  };
}
