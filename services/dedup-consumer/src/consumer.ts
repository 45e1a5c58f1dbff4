import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Database } from './storage/database.ts';
import type { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import { keyHashPartitioner, startHealthServer } from '@event-pipeline/platform';
import type { ConsumerLag, Logger, Metrics } from '@event-pipeline/platform';
import { backoffDelay } from './backoff.ts';
import { createConsumerMetrics } from './consumer-metrics.ts';
import { createRedisDedup } from './dedup/redis-dedup.ts';
import { reportLag } from './lag-reporter.ts';
import { createPartitionKeeper } from './partition-keeper.ts';
import { createFilterWarmer } from './dedup/filter-warmer.ts';
import { createMarkWriter } from './dedup/mark-writer.ts';
import { recordStored, storeBatch } from './store-batch.ts';
import type { StoreBatchDeps } from './store-batch.ts';
import { expireKeys } from './storage/expire-keys.ts';
import { runMigrations } from './storage/run-migrations.ts';
import { DEFAULT_FETCH_BYTES, DEFAULT_FETCH_BYTES_PER_PARTITION } from './config.ts';

export interface ConsumerDeps {
  readonly kafka: Kafka;
  readonly db: Kysely<Database>;
  /** Without Redis every key goes to PostgreSQL; correctness is the same. */
  readonly redis: Redis | undefined;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly topic: string;
  readonly groupId: string;
  readonly pipeline: string;
  readonly windowMs: number;
  /** Most messages stored in one PostgreSQL transaction. */
  readonly batchSize: number;
  readonly partitionsConsumedConcurrently: number;
  /** Compressed bytes one fetch takes from a partition (DEFAULT_FETCH_BYTES_PER_PARTITION). */
  readonly maxBytesPerPartition?: number | undefined;
  /** Compressed bytes of one fetch, all partitions: bounds memory (DEFAULT_FETCH_BYTES). */
  readonly maxBytesPerFetch?: number | undefined;
  /** Health server port; 0 picks a free one. */
  readonly port: number;
  readonly host?: string;
  readonly lagIntervalMs?: number;
  /** A killed member holds its partitions this long before the group moves them. */
  readonly sessionTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  readonly maintenanceIntervalMs?: number;
  readonly retry?: { readonly initialMs: number; readonly maxMs: number };
  readonly bloom?: { readonly bits: number; readonly hashes: number };
  readonly redisPrefix?: string;
  readonly now?: () => Date;
  readonly onCommitted?: StoreBatchDeps['onCommitted'];
}

export interface DedupConsumer {
  readonly port: number;
  /** Current lag of the group (also exported as metrics every lagIntervalMs). */
  lag(): Promise<ConsumerLag>;
  /** Not ready → stop fetching → finish the batch and commit → disconnect. */
  stop(): Promise<void>;
}

export async function startConsumer(deps: ConsumerDeps): Promise<DedupConsumer> {
  const {
    kafka,
    db,
    logger,
    topic,
    groupId,
    pipeline,
    windowMs,
    now = () => new Date(),
    retry = { initialMs: 250, maxMs: 10_000 },
  } = deps;
  const metrics = createConsumerMetrics(deps.metrics);

  const migrated = await runMigrations(db, { now: now(), windowMs });
  logger.info(migrated, 'schema migrated');
  const partitions = createPartitionKeeper({
    db,
    windowMs,
    now,
    logger: logger.child({ component: 'partitions' }),
    known: migrated.partitions,
  });

  // Dead letters: the partitioner of ingest's producer (kafkajs's default, rule for rule), named
  // so kafkajs does not warn at every start.
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: keyHashPartitioner,
  });
  const admin = kafka.admin();
  await Promise.all([producer.connect(), admin.connect()]);

  const redisDedup =
    deps.redis === undefined
      ? undefined
      : createRedisDedup({
          redis: deps.redis,
          prefix: deps.redisPrefix ?? `ep:dedup:${pipeline}`,
          windowMs,
          ...(deps.bloom === undefined
            ? {}
            : { bloomBits: deps.bloom.bits, bloomHashes: deps.bloom.hashes }),
        });
  const storeLogger = logger.child({ component: 'store' });
  const marks = createMarkWriter((keys) =>
    recordStored({ redisDedup, now, metrics, logger: storeLogger }, keys),
  );
  const warmer = createFilterWarmer({ redisDedup, now, logger: storeLogger, metrics });
  const storeDeps: StoreBatchDeps = {
    db,
    producer,
    redisDedup,
    marks,
    partitions,
    pipeline,
    logger: storeLogger,
    metrics,
    now,
    onCommitted: deps.onCommitted,
  };

  // Partitions paused after a failed batch, with the timer that resumes them.
  const retrying = new Map<string, NodeJS.Timeout>();
  const attempts = new Map<string, number>();
  const onFailure = (partition: number, pause: () => () => void, error: unknown) => {
    const id = `${topic}/${partition}`;
    const attempt = (attempts.get(id) ?? 0) + 1;
    attempts.set(id, attempt);
    const delay = backoffDelay(attempt, retry, Math.random());
    metrics.storeErrors.inc();
    logger.warn(
      { err: error, partition, attempt, retryInMs: delay },
      'batch not stored; partition paused, nothing committed, retrying',
    );
    const resume = pause();
    clearTimeout(retrying.get(id));
    retrying.set(
      id,
      setTimeout(() => {
        retrying.delete(id);
        metrics.pausedPartitions.set(retrying.size);
        resume();
      }, delay),
    );
    metrics.pausedPartitions.set(retrying.size);
  };

  const consumer = kafka.consumer({
    groupId,
    maxWaitTimeInMs: 250,
    sessionTimeout: deps.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: deps.heartbeatIntervalMs ?? 3_000,
    maxBytesPerPartition: deps.maxBytesPerPartition ?? DEFAULT_FETCH_BYTES_PER_PARTITION,
    maxBytes: deps.maxBytesPerFetch ?? DEFAULT_FETCH_BYTES,
  });
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    joined = true;
    logger.info({ assignment: event.payload.memberAssignment }, 'joined the consumer group');
    warmer.request();
  });
  consumer.on(consumer.events.CRASH, (event) => {
    const { error, restart } = event.payload;
    if (restart) {
      logger.warn({ err: error }, 'consumer error; kafkajs rejoins the group');
    } else {
      logger.error({ err: error }, 'consumer crashed and will not restart');
      joined = false;
    }
  });
  consumer.on(consumer.events.STOP, () => {
    joined = false;
  });

  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: deps.partitionsConsumedConcurrently,
    eachBatch: async (payload) => {
      const { batch } = payload;
      const { partition } = batch;
      const id = `${topic}/${partition}`;
      for (let start = 0; start < batch.messages.length; start += deps.batchSize) {
        if (!payload.isRunning() || payload.isStale()) return;
        const chunk = batch.messages.slice(start, start + deps.batchSize);
        const last = chunk.at(-1);
        if (last === undefined) return;
        try {
          await storeBatch(storeDeps, { topic, partition }, chunk);
        } catch (error) {
          onFailure(partition, () => payload.pause(), error);
          return;
        }
        attempts.delete(id);
        // Only now, with the rows committed, may Kafka forget these messages.
        payload.resolveOffset(last.offset);
        await payload.commitOffsetsIfNecessary({
          topics: [
            { topic, partitions: [{ partition, offset: (BigInt(last.offset) + 1n).toString() }] },
          ],
        });
        await payload.heartbeat();
      }
    },
  });

  const lag = () => reportLag(admin, { topic, groupId }, metrics);
  const lagTimer = setInterval(() => {
    lag().catch((error: unknown) => logger.warn({ err: error }, 'could not read consumer lag'));
  }, deps.lagIntervalMs ?? 5_000);
  const maintain = async () => {
    await partitions.ensureAround();
    const expired = await expireKeys(db, { pipeline, windowMs, now: now() });
    if (expired > 0) logger.info({ expired }, 'expired dedup keys older than the window');
  };
  const maintenanceTimer = setInterval(() => {
    maintain().catch((error: unknown) => logger.warn({ err: error }, 'maintenance failed'));
  }, deps.maintenanceIntervalMs ?? 600_000);

  const health = await startHealthServer({
    port: deps.port,
    ...(deps.host === undefined ? {} : { host: deps.host }),
    registry: deps.metrics.registry,
    checks: [
      {
        name: 'kafka-group',
        check: () =>
          joined ? Promise.resolve() : Promise.reject(new Error('not in the consumer group')),
      },
      {
        name: 'postgres',
        check: async () => {
          await sql`SELECT 1`.execute(db);
        },
      },
    ],
  });

  let stopping: Promise<void> | undefined;
  const stop = async () => {
    health.markNotReady('stopping');
    clearInterval(lagTimer);
    clearInterval(maintenanceTimer);
    for (const timer of retrying.values()) clearTimeout(timer);
    // disconnect stops fetching and waits for the running batch (which commits) before leaving.
    await consumer.disconnect();
    const results = await Promise.allSettled([
      marks.drain(),
      warmer.drain(),
      producer.disconnect(),
      admin.disconnect(),
      health.close(),
    ]);
    for (const result of results) {
      if (result.status === 'rejected') logger.warn({ err: result.reason }, 'disconnect failed');
    }
  };
  return {
    port: health.port,
    lag,
    stop: () => (stopping ??= stop()),
  };
}
