import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { CompressionTypes } from 'kafkajs';
import type { Admin, Kafka } from 'kafkajs';
import { encodeEventMessage } from '@event-pipeline/platform';
import { eventually } from '../../../test/support/kubernetes.ts';
import { setting, uniqueName } from '../../../test/support/stack.ts';
import type { HeapCappedSettings } from './heap-capped-consumer.ts';
import {
  clientEvent,
  createDatabaseOn,
  createTopicOn,
  exactlyOnceReport,
  storedCounts,
  storedEvent,
} from './support.ts';

// A fetch's messages are decoded and held all at once, and compressed batches decode to about
// eight times their size. The backlog here is zstd'd (ingest's default). The control shows that
// its decoded messages need more heap than the worker is given when one fetch may take all of it;
// the consumer then survives the same cap only because its fetch sizes bound what one fetch holds.
// The cap sits between the two: the worker's own old generation is ~26 MiB (modules, clients) and
// a scavenge may promote up to ~27 MiB of young objects at once, so 48 MiB failed once in CI with
// the bounded fetches, from GC timing alone; measured here, the bounded drain passed at 56 and 64
// MiB and failed at 48, the control ran out at up to 112 MiB and drained at 128.
const EVENTS = Number(process.env.MEMORY_TEST_EVENTS ?? 160_000);
const HEAP_MB = Number(process.env.MEMORY_TEST_HEAP_MB ?? 80);
const BOUNDED = { maxBytesPerPartition: 128 * 1024, maxBytesPerFetch: 512 * 1024 };
// Far beyond the bounded sizes: one fetch returns as much of the backlog as the broker allows.
const UNBOUNDED = { maxBytesPerPartition: 64 * 1024 * 1024, maxBytesPerFetch: 256 * 1024 * 1024 };

describe('dedup consumer memory', () => {
  let kafka: Kafka;
  let admin: Admin;
  let serverUrl: string;
  const topic = uniqueName('dedup-memory');
  const pipeline = uniqueName('memory');
  const keys = new Set<string>();

  before(async () => {
    ({ kafka, admin } = await createTopicOn(await setting('KAFKA_BROKERS'), 'memory-test', topic));
    serverUrl = await setting('DATABASE_URL');
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let start = 0; start < EVENTS; start += 2_000) {
      const messages = [];
      for (let i = start; i < Math.min(EVENTS, start + 2_000); i += 1) {
        const event = storedEvent(pipeline, clientEvent(i, true));
        keys.add(event.dedupKey);
        messages.push(encodeEventMessage(event));
      }
      await producer.send({ topic, acks: -1, compression: CompressionTypes.ZSTD, messages });
    }
    await producer.disconnect();
  });
  after(async () => {
    await admin.disconnect();
  });

  /** A consumer in a worker whose heap is capped at HEAP_MB, with its own group and database. */
  async function startCapped(fetch: typeof BOUNDED) {
    const url = await createDatabaseOn(serverUrl, uniqueName('dedup_memory'));
    const worker = new Worker(new URL('./heap-capped-consumer.ts', import.meta.url), {
      resourceLimits: { maxOldGenerationSizeMb: HEAP_MB },
      workerData: {
        brokers: await setting('KAFKA_BROKERS'),
        databaseUrl: url,
        topic,
        groupId: uniqueName('dedup-memory-group'),
        pipeline,
        ...fetch,
      } satisfies HeapCappedSettings,
    });
    const state: { failure: (Error & { code?: string }) | undefined } = { failure: undefined };
    worker.on('error', (error: unknown) => {
      state.failure = error instanceof Error ? error : new Error(String(error));
    });
    /** Resolves once the worker has died or every event is stored, whichever comes first. */
    const diedOrDrained = (timeoutMs: number) =>
      eventually(
        'the worker to die or drain',
        async () => {
          if (state.failure !== undefined) return 'died';
          const { keys: stored } = await storedCounts(url, pipeline);
          return stored >= EVENTS ? 'stored' : undefined;
        },
        timeoutMs,
      );
    return { url, worker, state, diedOrDrained };
  }

  it(`control: with fetches that may take the whole backlog, a ${HEAP_MB} MiB heap runs out`, async () => {
    const { worker, state, diedOrDrained } = await startCapped(UNBOUNDED);
    try {
      await diedOrDrained(120_000);
      assert.equal(
        state.failure?.code,
        'ERR_WORKER_OUT_OF_MEMORY',
        `the backlog must not fit the heap in one fetch, or the bounded test proves nothing (${state.failure?.message ?? 'it drained'})`,
      );
    } finally {
      await worker.terminate();
    }
  });

  it(`drains the zstd'd backlog of ${EVENTS} events with a ${HEAP_MB} MiB heap and bounded fetches, exactly once`, async () => {
    const { url, worker, state, diedOrDrained } = await startCapped(BOUNDED);
    try {
      await diedOrDrained(180_000);
      assert.equal(state.failure, undefined, `the consumer died: ${state.failure?.message ?? ''}`);
      assert.deepEqual(await exactlyOnceReport(url, pipeline, keys), {
        rows: EVENTS,
        keys: EVENTS,
        missing: 0,
        unexpected: 0,
      });
    } finally {
      if (state.failure === undefined) {
        worker.postMessage('stop');
        await once(worker, 'message');
      }
      await worker.terminate();
    }
  });
});
