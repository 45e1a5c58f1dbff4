// make bench-pipeline: events through ingest (HTTP) → Kafka → the dedup consumer → PostgreSQL on a
// private stack started and stopped here. Measures, with 30 % of events resent:
// - throughput: a backlog posted through ingest, then drained by ONE consumer (messages/s and
//   rows stored/s);
// - latency: ingest-to-commit (receivedAt stamped by ingest → PostgreSQL commit) p50/p99 at a fixed
//   offered rate (default 5,000 events/s) with the consumer running;
// - baseline, same run: raw COPY of the same rows into the same events table (rows/s).
// BENCH_DIRECT=1 produces to Kafka directly (enrichEvent + encodeEventMessage) instead of HTTP.
import '../test/support/process-warnings.ts';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline as pipe } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type { Producer } from 'kafkajs';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import {
  computeConsumerLag,
  createKafkaClient,
  createLogger,
  createMetrics,
  deadLetterTopic,
  encodeEventMessage,
  enrichEvent,
} from '@event-pipeline/platform';
import type { ClientEvent } from '@event-pipeline/platform';
import { down, up } from '@event-pipeline/stack';
import { startConsumer } from '../services/dedup-consumer/src/consumer.ts';
import type { CommittedBatch } from '../services/dedup-consumer/src/store-batch.ts';
import { createRedisClient } from '../services/dedup-consumer/src/dedup/redis-client.ts';
import { createDatabase } from '../services/dedup-consumer/src/storage/database.ts';
import { createApiKeys } from '../services/ingest/src/api-keys.ts';
import { DEFAULT_LIMITS } from '../services/ingest/src/config.ts';
import { createConnections } from '../services/ingest/src/dependencies.ts';
import { startIngest } from '../services/ingest/src/server.ts';
import { cpuShares, machineCpuTicks } from './machine-cpu.ts';
import { machineSpeedLine, measureMachineSpeed } from './machine-speed.ts';
import { writeResults } from './results-file.ts';
import { cpuCeiling, cpuMicrosPer, cpuSecondsByPart } from './process-cpu.ts';

const DISTINCT = Number(process.env.BENCH_EVENTS ?? 150_000);
const DUP_RATIO = 0.3;
const OFFERED_RATE = Number(process.env.BENCH_RATE ?? 5_000);
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 20);
const PARTITIONS = 4;
/** Partitions the one consumer works on at once (PARTITIONS_CONSUMED_CONCURRENTLY in main.ts). */
const CONSUMED_CONCURRENTLY = Number(process.env.BENCH_CONSUMED_CONCURRENTLY ?? 2);
const DIRECT = process.env.BENCH_DIRECT === '1';
const WITH_REDIS = process.env.BENCH_REDIS !== '0';
const MODE = DIRECT
  ? 'produced to Kafka directly (NOT through ingest)'
  : 'through ingest over HTTP';
const API_KEY = 'bench-key-0123456789';
const PIPELINE = 'bench';
const TOPIC = 'bench.events';
const TARGETS = { eventsPerSecond: 30_000, latencyP99Ms: 1_000 };

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const logger = createLogger({ name: 'bench-pipeline', level: 'warn' });

/** Event i; with 30 % resent (same event, a later sentAt), as real clients with retries do. */
function clientEvent(i: number, sentAt = new Date()): ClientEvent {
  return {
    ...(i % 2 === 0 ? { id: `bench-${i}` } : {}),
    type: ['page_view', 'click', 'purchase'][i % 3] ?? 'click',
    userId: `user-${i % 5_000}`,
    // Fixed per event: a resend carries the same content, so the same dedup key.
    timestamp: new Date(Date.UTC(2026, 0, 1) + i).toISOString(),
    sentAt: sentAt.toISOString(),
    properties: { i, path: `/products/${i % 977}`, price: (i % 100) * 1.5, tags: ['a', 'b'] },
    context: { library: 'bench', locale: 'en-US', screen: { width: 1280, height: 720 } },
  };
}

/** Indexes from..to with DUP_RATIO of them repeated at a later position (a deterministic mix). */
function withResends(from: number, to: number): number[] {
  const order: number[] = [];
  const pending: number[] = [];
  for (let i = from; i < to; i += 1) {
    order.push(i);
    if ((i * 7_919) % 100 < DUP_RATIO * 100) pending.push(i);
    if (pending.length > 0 && i % 3 === 0) order.push(pending.shift() ?? i);
  }
  order.push(...pending);
  return order;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

interface WorkerSettings {
  readonly brokers: string;
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly withRedis: boolean;
}

type FromWorker =
  | { readonly kind: 'started'; readonly busyMs: number }
  | { readonly kind: 'committed'; readonly batch: CommittedBatch; readonly busyMs: number }
  | { readonly kind: 'stopped'; readonly duplicatesBy: Readonly<Record<string, number>> };

/** The consumer under test, in a worker thread so the HTTP load and ingest do not share its loop. */
async function consumerWorker(settings: WorkerSettings, port: MessagePort): Promise<void> {
  const kafka = createKafkaClient({
    clientId: 'bench-consumer',
    brokers: [settings.brokers],
    logger,
  });
  const db = createDatabase({ connectionString: settings.databaseUrl, maxConnections: 8 });
  const redis = settings.withRedis
    ? createRedisClient(settings.redisUrl, () => undefined)
    : undefined;
  const send = (message: FromWorker) => {
    port.postMessage(message);
  };
  const metrics = createMetrics({ pipeline: PIPELINE });
  const consumer = await startConsumer({
    kafka,
    db,
    redis,
    logger,
    metrics,
    topic: TOPIC,
    groupId: 'bench-dedup',
    pipeline: PIPELINE,
    windowMs: 86_400_000,
    batchSize: Number(process.env.BENCH_BATCH_SIZE ?? 2_000),
    partitionsConsumedConcurrently: CONSUMED_CONCURRENTLY,
    port: 0,
    host: '127.0.0.1',
    onCommitted: (batch) => {
      // The worker's event-loop busy time so far: the consumer's own CPU cost per message.
      send({ kind: 'committed', batch, busyMs: performance.eventLoopUtilization().active });
    },
  });
  send({ kind: 'started', busyMs: performance.eventLoopUtilization().active });
  port.once('message', () => {
    void (async () => {
      await consumer.stop();
      await db.destroy();
      redis?.disconnect();
      // Which stage dropped the duplicates (the whole run): the fast path's share is `redis`.
      const duplicates = await metrics.registry
        .getSingleMetric(`${metrics.prefix}consumer_duplicates_total`)
        ?.get();
      const duplicatesBy = Object.fromEntries(
        (duplicates?.values ?? []).map(({ labels, value }) => [String(labels.detected_by), value]),
      );
      send({ kind: 'stopped', duplicatesBy });
    })();
  });
}

if (!isMainThread && parentPort !== null) {
  await consumerWorker(workerData as WorkerSettings, parentPort);
}

if (isMainThread) {
  const stateDir = await mkdtemp(join(tmpdir(), 'bench-pipeline-stack-'));
  const speedAtStart = measureMachineSpeed();
  try {
    const { env } = await up(['postgres', 'redis', 'kafka'], {
      stateDir,
      log: (line) => log(`stack: ${line}`),
    });
    const brokers = env.KAFKA_BROKERS ?? '';
    const databaseUrl = env.DATABASE_URL ?? '';
    const redisUrl = env.REDIS_URL ?? '';
    const kafka = createKafkaClient({ clientId: 'bench', brokers: [brokers], logger });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: TOPIC, numPartitions: PARTITIONS },
        { topic: deadLetterTopic(TOPIC), numPartitions: 1 },
      ],
      waitForLeaders: true,
    });

    // The events' source: ingest in this process (real HTTP), or a plain producer.
    let send: (events: ClientEvent[]) => Promise<void>;
    let stopSource: () => Promise<void>;
    if (DIRECT) {
      const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      send = async (events) => {
        const receivedAt = new Date().toISOString();
        const messages = events.map((event) =>
          encodeEventMessage(
            enrichEvent(event, { receivedAt, pipeline: PIPELINE, ingestionId: randomUUID() }),
          ),
        );
        await producer.send({ topic: TOPIC, acks: -1, messages });
      };
      stopSource = () => producer.disconnect();
    } else {
      const metrics = createMetrics({ pipeline: PIPELINE });
      const connections = createConnections({
        brokers: [brokers],
        topic: TOPIC,
        clientId: 'bench-ingest',
        redisUrl,
        redisKeyPrefix: 'bench-ingest:',
        logger,
        metrics,
        rate: 10_000_000,
        burst: 10_000_000,
        whenRedisDown: 'open',
        idempotencyTtlMs: 3_600_000,
      });
      await connections.producer.connect();
      const server = await startIngest(
        {
          ...connections,
          auth: createApiKeys([API_KEY]),
          logger,
          metrics,
          config: {
            pipeline: PIPELINE,
            limits: DEFAULT_LIMITS,
            rateLimitBy: 'apiKey',
            trustProxy: false,
          },
        },
        { port: 0, host: '127.0.0.1' },
      );
      const url = `http://127.0.0.1:${server.port}/v1/batch`;
      send = async (events) => {
        const body = JSON.stringify({ events });
        for (;;) {
          let response: Response;
          try {
            response = await fetch(url, {
              method: 'POST',
              headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
              body,
            });
          } catch (error) {
            // An overloaded machine can stall a connection; retry as a client would (the events
            // keep their dedup keys, so retrying an accepted request only adds duplicates).
            log(
              `POST failed (${error instanceof Error ? error.message : String(error)}); retrying`,
            );
            await sleep(100);
            continue;
          }
          const text = await response.text();
          if (response.status === 202) return;
          if (response.status !== 503 && response.status !== 429) {
            throw new Error(`ingest answered ${response.status}: ${text.slice(0, 300)}`);
          }
          await sleep(100);
        }
      };
      stopSource = async () => {
        await server.stop('bench done');
        connections.redis.disconnect();
      };
    }

    // 1. Backlog: DISTINCT events + 30 % resent, posted in batches of 500, 4 requests in flight.
    const backlog = withResends(0, DISTINCT);
    log(`posting a backlog of ${backlog.length} events (${DISTINCT} distinct) ${MODE}…`);
    const fillStarted = performance.now();
    const chunks: number[][] = [];
    for (let i = 0; i < backlog.length; i += 500) chunks.push(backlog.slice(i, i + 500));
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < chunks.length) {
          const chunk = chunks[next] ?? [];
          next += 1;
          await send(chunk.map((i) => clientEvent(i)));
        }
      }),
    );
    const fillSeconds = (performance.now() - fillStarted) / 1000;

    // 2. Drain the backlog with one consumer.
    // Samples of the latency phase: events received by ingest after it began.
    const latencies: number[] = [];
    let latencyPhaseStart = Number.POSITIVE_INFINITY;
    let consumed = 0;
    let lastCommit = 0;
    let busyAtStart = 0;
    let busyAtLastCommit = 0;
    // CPU over the drain, read when the consumer starts and once the backlog is drained: the whole
    // machine's (all cores, whoever used them) and each part's. The consumer is a worker thread of
    // this process (ingest, also in this process, is idle meanwhile); Kafka, Redis and PostgreSQL
    // come from the stack.
    const drainParts = { stateDir, self: 'consumer (bench process)' };
    const cpuReading = async () => ({
      machine: await machineCpuTicks(),
      parts: await cpuSecondsByPart(drainParts),
    });
    let atStart: ReturnType<typeof cpuReading> | undefined; // set when the consumer starts
    log('draining the backlog with one consumer (in a worker thread: its own event loop)…');
    const worker = new Worker(new URL(import.meta.url), {
      workerData: {
        brokers,
        databaseUrl,
        redisUrl,
        withRedis: WITH_REDIS,
      } satisfies WorkerSettings,
    });
    const started = Promise.withResolvers<number>();
    const stopped = Promise.withResolvers<Readonly<Record<string, number>>>();
    worker.on('message', (message: FromWorker) => {
      if (message.kind === 'started') {
        busyAtStart = message.busyMs;
        atStart = cpuReading();
        started.resolve(performance.now());
      }
      if (message.kind === 'stopped') stopped.resolve(message.duplicatesBy);
      if (message.kind !== 'committed') return;
      const { batch } = message;
      consumed += batch.messages;
      lastCommit = performance.now();
      if (latencyPhaseStart === Number.POSITIVE_INFINITY) busyAtLastCommit = message.busyMs;
      for (const receivedAt of batch.receivedAt) {
        if (receivedAt >= latencyPhaseStart) latencies.push(batch.committedAt - receivedAt);
      }
    });
    // A worker that dies (out of memory, say) ends the bench through `finally`, which stops the
    // stack: the waits below check for it, and no rejection is left unhandled to kill the process.
    let died: Error | undefined;
    worker.on('error', (error: Error) => {
      died = error;
      started.reject(error);
      stopped.reject(error);
    });
    stopped.promise.catch(() => undefined);
    const waitFor = async (done: () => Promise<boolean>) => {
      while (!(await done())) {
        if (died !== undefined) throw new Error(`the consumer worker died: ${died.message}`);
        await sleep(100);
      }
    };
    const drainStarted = await started.promise;
    const groupLag = async () => {
      const [watermarks, committed] = await Promise.all([
        admin.fetchTopicOffsets(TOPIC),
        admin.fetchOffsets({ groupId: 'bench-dedup', topics: [TOPIC] }),
      ]);
      return computeConsumerLag(watermarks, committed[0]?.partitions ?? []).total;
    };
    await waitFor(async () => consumed >= backlog.length && (await groupLag()) === 0);
    const [drainStart, drainEnd] = [await (atStart ?? cpuReading()), await cpuReading()];
    const drainSeconds = (lastCommit - drainStarted) / 1000;
    const consumerBusyUsPerMessage = ((busyAtLastCommit - busyAtStart) * 1000) / backlog.length;

    const client = new pg.Client({ connectionString: databaseUrl });
    client.on('error', (error) => log(`bench PostgreSQL client: ${error.message}`));
    await client.connect();
    const countRows = async (pipeline: string) => {
      const { rows } = await client.query<{ rows: string; keys: string }>(
        'SELECT count(*) AS rows, count(DISTINCT dedup_key) AS keys FROM events WHERE pipeline = $1',
        [pipeline],
      );
      return { rows: Number(rows[0]?.rows), keys: Number(rows[0]?.keys) };
    };
    const drained = await countRows(PIPELINE);
    const cpuUsPerStoredRow = cpuMicrosPer(drained.rows, drainStart.parts, drainEnd.parts);
    const ceiling = cpuCeiling(cpuUsPerStoredRow);
    const cores = availableParallelism();

    // 3. Latency at a fixed offered rate, consumer running: batches of 50 every 50/rate seconds.
    log(`offering ${OFFERED_RATE} events/s for ${LATENCY_SECONDS} s ${MODE}…`);
    latencyPhaseStart = Date.now();
    const perRequest = 50;
    const intervalMs = (perRequest / OFFERED_RATE) * 1000;
    const offered = withResends(
      DISTINCT,
      DISTINCT + Math.round(OFFERED_RATE * LATENCY_SECONDS * (1 - DUP_RATIO)),
    );
    const inFlight: Promise<void>[] = [];
    const offerStarted = performance.now();
    for (let i = 0, n = 0; i < offered.length; i += perRequest, n += 1) {
      const due = offerStarted + n * intervalMs;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      inFlight.push(send(offered.slice(i, i + perRequest).map((index) => clientEvent(index))));
    }
    await Promise.all(inFlight);
    const offerSeconds = (performance.now() - offerStarted) / 1000;
    const distinctOffered = new Set(offered).size;
    await waitFor(async () => (await groupLag()) === 0);
    await sleep(500);
    latencies.sort((a, b) => a - b);
    const final = await countRows(PIPELINE);
    worker.postMessage('stop');
    const duplicatesBy = await stopped.promise;
    await worker.terminate();
    await stopSource();

    // 4. Baseline: the same rows, raw COPY into the same table (another pipeline value).
    log('baseline: raw COPY of the same rows into events…');
    const columns =
      'dedup_key, pipeline, event_id, type, source, user_id, anonymous_id, event_time, sent_at, received_at, ingestion_id, properties, context, schema_version, kafka_partition, kafka_offset';
    const chunksOut: Buffer[] = [];
    const exported = client.query(
      copyTo(
        `COPY (SELECT ${columns.replace('pipeline', `'baseline'`)} FROM events WHERE pipeline = '${PIPELINE}') TO STDOUT`,
      ),
    );
    for await (const chunk of exported) chunksOut.push(chunk as Buffer);
    const copyStarted = performance.now();
    await pipe(
      Readable.from(chunksOut),
      client.query(copyFrom(`COPY events (${columns}) FROM STDIN`)),
    );
    const copySeconds = (performance.now() - copyStarted) / 1000;
    const copied = await countRows('baseline');
    await client.end();
    await admin.disconnect();

    const storedPerSecond = drained.rows / drainSeconds;
    const messagesPerSecond = backlog.length / drainSeconds;
    const copyPerSecond = copied.rows / copySeconds;
    const speedAtEnd = measureMachineSpeed();
    const result = {
      mode: MODE,
      redisFastPath: WITH_REDIS,
      machine: { cpus: cores, speed: { atStart: speedAtStart, atEnd: speedAtEnd } },
      backlog: {
        messages: backlog.length,
        distinct: DISTINCT,
        duplicateRatio: DUP_RATIO,
        postSeconds: fillSeconds,
        postedPerSecond: backlog.length / fillSeconds,
      },
      throughput: {
        seconds: drainSeconds,
        messagesPerSecond,
        rowsStoredPerSecond: storedPerSecond,
        consumerBusyUsPerMessage,
        consumerBusyShare: (busyAtLastCommit - busyAtStart) / 1000 / drainSeconds,
        machineCpu: cpuShares(drainStart.machine, drainEnd.machine),
        /** CPU µs per stored row of each part, from the consumer's start to the drained backlog. */
        cpuUsPerStoredRow,
        /** Rows/s every core could store at that cost if nothing waited. */
        ceilingRowsPerSecond: ceiling.perSecond,
        rows: drained.rows,
        distinctKeys: drained.keys,
      },
      latency: {
        offeredRate: OFFERED_RATE,
        achievedOfferedRate: offered.length / offerSeconds,
        samples: latencies.length,
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
        maxMs: latencies.at(-1) ?? Number.NaN,
      },
      baseline: { rows: copied.rows, seconds: copySeconds, rowsPerSecond: copyPerSecond },
      ratio: { oursOverBaseline: storedPerSecond / copyPerSecond },
      /** Duplicates dropped over the whole run, by the stage that caught them. */
      duplicatesBy,
      exactlyOnce: {
        expectedDistinct: DISTINCT + distinctOffered,
        rows: final.rows,
        distinctKeys: final.keys,
        ok: final.rows === final.keys && final.rows === DISTINCT + distinctOffered,
      },
      targets: TARGETS,
    };
    const resultsFile = await writeResults('pipeline', result);

    const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
    console.log(
      `\nbench-pipeline: events ${MODE}; one consumer; ${PARTITIONS} partitions; 30 % resent\n`,
    );
    console.table({
      'throughput (messages/s consumed, dups included)': {
        value: fmt(messagesPerSecond),
        target: '',
      },
      'throughput (rows/s stored)': {
        value: fmt(storedPerSecond),
        target: `≥ ${fmt(TARGETS.eventsPerSecond)}`,
      },
      'consumer event loop busy per message (µs)': {
        value: consumerBusyUsPerMessage.toFixed(1),
        target: '',
      },
      'consumer event loop busy share while draining': {
        value: result.throughput.consumerBusyShare.toFixed(2),
        target: '',
      },
      'machine CPU busy while draining (all cores, /proc/stat)': {
        value: result.throughput.machineCpu.busy.toFixed(2),
        target: '',
      },
      'machine CPU stolen by the host while draining': {
        value: result.throughput.machineCpu.stolen.toFixed(2),
        target: '',
      },
      ...Object.fromEntries(
        Object.entries(cpuUsPerStoredRow).map(([part, us]) => [
          `CPU per stored row while draining: ${part} (µs)`,
          { value: String(us), target: '' },
        ]),
      ),
      [`ceiling on ${cores} cores at that CPU per row, nothing waiting (rows/s)`]: {
        value: fmt(result.throughput.ceilingRowsPerSecond),
        target: '',
      },
      'baseline: raw COPY (rows/s)': { value: fmt(copyPerSecond), target: '' },
      'ours / baseline (rows/s)': { value: result.ratio.oursOverBaseline.toFixed(3), target: '' },
      [`ingest→commit p50 at ${fmt(OFFERED_RATE)}/s (ms)`]: {
        value: fmt(result.latency.p50Ms),
        target: '',
      },
      [`ingest→commit p99 at ${fmt(OFFERED_RATE)}/s (ms)`]: {
        value: fmt(result.latency.p99Ms),
        target: `≤ ${fmt(TARGETS.latencyP99Ms)}`,
      },
      'offered rate achieved (events/s)': {
        value: fmt(result.latency.achievedOfferedRate),
        target: '',
      },
      'backlog post rate (events/s)': { value: fmt(result.backlog.postedPerSecond), target: '' },
      'duplicates dropped by: batch / redis / postgres (whole run)': {
        value: ['batch', 'redis', 'postgres'].map((by) => fmt(duplicatesBy[by] ?? 0)).join(' / '),
        target: '',
      },
      'exactly once (rows = distinct = expected)': {
        value: String(result.exactlyOnce.ok),
        target: 'true',
      },
    });
    console.log(machineSpeedLine(speedAtStart, speedAtEnd));
    console.log(`results: ${resultsFile}`);
  } finally {
    await down({ stateDir });
    await rm(stateDir, { recursive: true, force: true });
  }
}
