// Guarantee tests that break dependencies: a PRIVATE stack (never the shared one).
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { Admin, Kafka, Producer } from 'kafkajs';
import type { Kysely } from 'kysely';
import type { Database } from '../src/storage/database.ts';
import { down, killComponent, startComponent, stopComponent, up } from '@event-pipeline/stack';
import {
  computeConsumerLag,
  createKafkaClient,
  createLogger,
  createMetrics,
} from '@event-pipeline/platform';
import type { Metrics } from '@event-pipeline/platform';
import { eventually } from '../../../test/support/kubernetes.ts';
import { uniqueName } from '../../../test/support/stack.ts';
import { startConsumer } from '../src/consumer.ts';
import type { ConsumerDeps, DedupConsumer } from '../src/consumer.ts';
import { createRedisClient } from '../src/dedup/redis-client.ts';
import { createDatabase } from '../src/storage/database.ts';
import { produceSlowly, spawnConsumer } from './fault-support.ts';
import {
  createDatabaseOn,
  createPipelineTopic,
  duplicateStorm,
  exactlyOnceReport,
  query,
  shuffled,
} from './support.ts';

const logger = createLogger({ name: 'dedup-fault-test', level: 'silent' });

describe('dedup consumer guarantees under faults (private stack)', () => {
  let stateDir: string;
  let env: Record<string, string>;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;

  before(async () => {
    stateDir = await mkdtemp(path.join(tmpdir(), 'dedup-faults-'));
    env = (await up(['postgres', 'redis', 'kafka'], { stateDir })).env;
    kafka = createKafkaClient({
      clientId: 'dedup-fault-test',
      brokers: [env.KAFKA_BROKERS ?? ''],
      logger: createLogger({ name: 'dedup-fault-test', level: 'silent' }),
    });
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  });
  after(async () => {
    await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
    await down({ stateDir });
  });

  /** A topic, a database and names of its own for one test. */
  const pipelineFor = async (name: string, partitions = 4) => {
    const topic = uniqueName(`faults-${name}`);
    await createPipelineTopic(admin, topic, partitions);
    const url = await createDatabaseOn(env.DATABASE_URL ?? '', uniqueName(`dedup_${name}`));
    return { topic, url, pipeline: uniqueName(name), groupId: uniqueName(`${name}-group`) };
  };

  /** Rows stored so far; 0 while PostgreSQL is away. */
  const rowsOf = async (url: string, pipeline: string) => {
    try {
      const [row] = await query<{ n: string }>(
        url,
        'SELECT count(*) AS n FROM events WHERE pipeline = $1',
        [pipeline],
      );
      return Number(row?.n ?? 0);
    } catch {
      return 0;
    }
  };

  const groupLag = async (topic: string, groupId: string) => {
    const [watermarks, committed] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchOffsets({ groupId, topics: [topic] }),
    ]);
    return computeConsumerLag(watermarks, committed[0]?.partitions ?? []).total;
  };

  const waitForRows = (url: string, pipeline: string, atLeast: number, timeoutMs = 120_000) =>
    eventually(
      `${atLeast} rows`,
      async () => ((await rowsOf(url, pipeline)) >= atLeast ? true : undefined),
      timeoutMs,
    );

  const assertExactlyOnce = async (
    setup: { url: string; pipeline: string; topic: string; groupId: string },
    keys: ReadonlySet<string>,
  ) => {
    await eventually(
      'every key stored and the group caught up',
      async () => {
        const report = await exactlyOnceReport(setup.url, setup.pipeline, keys);
        const lag = await groupLag(setup.topic, setup.groupId);
        return report.missing === 0 && lag === 0 ? report : undefined;
      },
      180_000,
    );
    assert.deepEqual(await exactlyOnceReport(setup.url, setup.pipeline, keys), {
      rows: keys.size,
      keys: keys.size,
      missing: 0,
      unexpected: 0,
    });
  };

  const inProcess = async (
    setup: { url: string; pipeline: string; topic: string; groupId: string },
    db: Kysely<Database>,
    extra: Partial<ConsumerDeps> = {},
  ): Promise<{ consumer: DedupConsumer; metrics: Metrics }> => {
    const metrics = createMetrics({ pipeline: setup.pipeline });
    const consumer = await startConsumer({
      kafka,
      db,
      redis: undefined,
      logger,
      metrics,
      topic: setup.topic,
      groupId: setup.groupId,
      pipeline: setup.pipeline,
      windowMs: 86_400_000,
      batchSize: 400,
      partitionsConsumedConcurrently: 2,
      port: 0,
      host: '127.0.0.1',
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 1_000,
      retry: { initialMs: 100, maxMs: 1_000 },
      ...extra,
    });
    return { consumer, metrics };
  };

  const metricSum = async (metrics: Metrics, name: string) => {
    const text = await metrics.registry.metrics();
    return text
      .split('\n')
      .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
  };

  it('kill -9 of the consumer process in the middle of batches, restarted each time: every event exactly once', async () => {
    const setup = await pipelineFor('kill');
    const storm = duplicateStorm(setup.pipeline, 15_000, 0.3);
    const childEnv = {
      KAFKA_BROKERS: env.KAFKA_BROKERS ?? '',
      KAFKA_TOPIC: setup.topic,
      KAFKA_GROUP_ID: setup.groupId,
      PIPELINE_NAME: setup.pipeline,
      DATABASE_URL: setup.url,
      REDIS_URL: env.REDIS_URL ?? '',
      BATCH_SIZE: '300',
      PORT: '0',
      KAFKA_SESSION_TIMEOUT: '6s',
      KAFKA_HEARTBEAT_INTERVAL: '1s',
      LOG_LEVEL: 'warn',
    };
    const logFile = path.join(stateDir, 'logs', `${setup.pipeline}.log`);
    let proc = spawnConsumer(childEnv, logFile);
    const producing = produceSlowly(producer, setup.topic, shuffled(storm.messages), {
      chunk: 400,
      pauseMs: 60,
    });
    for (const atLeast of [1_500, 5_000, 9_000]) {
      await waitForRows(setup.url, setup.pipeline, atLeast);
      proc.child.kill('SIGKILL');
      assert.equal(await proc.exited, null, 'killed by a signal, no clean shutdown');
      proc = spawnConsumer(childEnv, logFile);
    }
    await producing;
    try {
      await assertExactlyOnce(setup, storm.keys);
    } finally {
      proc.child.kill('SIGTERM');
    }
    assert.equal(await proc.exited, 0, 'SIGTERM shuts down cleanly');
  });

  it('Redis flushed, then killed and restarted mid-run: still exactly once, falling back to PostgreSQL', async () => {
    const setup = await pipelineFor('redis');
    const storm = duplicateStorm(setup.pipeline, 12_000, 0.3);
    const db = createDatabase({ connectionString: setup.url });
    const redis = createRedisClient(env.REDIS_URL ?? '', () => undefined);
    const { consumer, metrics } = await inProcess(setup, db, { redis });
    let redisDown = false;
    try {
      const producing = produceSlowly(producer, setup.topic, shuffled(storm.messages), {
        chunk: 400,
        pauseMs: 80,
      });
      await waitForRows(setup.url, setup.pipeline, 2_000);
      await redis.flushall();
      await waitForRows(setup.url, setup.pipeline, 4_000);
      await killComponent({ stateDir, component: 'redis' });
      redisDown = true;
      const whileDown = await rowsOf(setup.url, setup.pipeline);
      await waitForRows(setup.url, setup.pipeline, whileDown + 2_000);
      await startComponent({ stateDir, component: 'redis' });
      redisDown = false;
      await producing;
      await assertExactlyOnce(setup, storm.keys);
      assert.ok((await metricSum(metrics, 'eventpipeline_consumer_redis_errors_total')) > 0);
    } finally {
      // A failure above must not leave the next test without Redis.
      if (redisDown) await startComponent({ stateDir, component: 'redis' });
      await consumer.stop();
      redis.disconnect();
      await db.destroy();
    }
  });

  it('PostgreSQL stopped and started mid-run: the consumer pauses, lag grows, then it drains exactly once', async () => {
    const setup = await pipelineFor('pg');
    const storm = duplicateStorm(setup.pipeline, 12_000, 0.3);
    const db = createDatabase({ connectionString: setup.url });
    // With the Redis fast path on: a mark written for a chunk PostgreSQL did not commit would make
    // its events vanish after the restart, and the exactly-once check below would catch it.
    const redis = createRedisClient(env.REDIS_URL ?? '', () => undefined);
    const { consumer, metrics } = await inProcess(setup, db, { redis });
    let postgresDown = false;
    try {
      const producing = produceSlowly(producer, setup.topic, shuffled(storm.messages), {
        chunk: 400,
        pauseMs: 80,
      });
      await waitForRows(setup.url, setup.pipeline, 2_000);
      await stopComponent({ stateDir, component: 'postgres' });
      postgresDown = true;
      await eventually('a partition paused', async () =>
        (await metricSum(metrics, 'eventpipeline_consumer_paused_partitions')) > 0
          ? true
          : undefined,
      );
      const lagAtStop = await groupLag(setup.topic, setup.groupId);
      await sleep(3_000);
      const lagLater = await groupLag(setup.topic, setup.groupId);
      assert.ok(
        lagLater > lagAtStop,
        `lag grows while PostgreSQL is down (${lagAtStop} → ${lagLater})`,
      );
      const ready = await fetch(`http://127.0.0.1:${consumer.port}/readyz`);
      assert.equal(ready.status, 503, '/readyz reports PostgreSQL unreachable');
      await startComponent({ stateDir, component: 'postgres' });
      postgresDown = false;
      await producing;
      await assertExactlyOnce(setup, storm.keys);
      assert.ok((await metricSum(metrics, 'eventpipeline_consumer_store_errors_total')) > 0);
    } finally {
      // A failure above must not leave the next test without PostgreSQL.
      if (postgresDown) await startComponent({ stateDir, component: 'postgres' });
      await consumer.stop();
      redis.disconnect();
      await db.destroy();
    }
  });

  it('two and three consumers joining and leaving mid-run (rebalances): exactly once', async () => {
    const setup = await pipelineFor('rebalance', 6);
    const storm = duplicateStorm(setup.pipeline, 20_000, 0.3);
    const db = createDatabase({ connectionString: setup.url });
    const redis = createRedisClient(env.REDIS_URL ?? '', () => undefined);
    const running: DedupConsumer[] = [];
    const start = async () => {
      const { consumer } = await inProcess(setup, db, { redis });
      running.push(consumer);
      return consumer;
    };
    try {
      const producing = produceSlowly(producer, setup.topic, shuffled(storm.messages), {
        chunk: 400,
        pauseMs: 60,
      });
      const a = await start();
      await waitForRows(setup.url, setup.pipeline, 1_500);
      await start();
      await waitForRows(setup.url, setup.pipeline, 4_000);
      await start();
      await waitForRows(setup.url, setup.pipeline, 7_000);
      await a.stop();
      running.splice(running.indexOf(a), 1);
      await waitForRows(setup.url, setup.pipeline, 10_000);
      const b = running[0];
      await b?.stop();
      running.shift();
      await start();
      await producing;
      await assertExactlyOnce(setup, storm.keys);
    } finally {
      await Promise.allSettled(running.map((consumer) => consumer.stop()));
      redis.disconnect();
      await db.destroy();
    }
  });
});
