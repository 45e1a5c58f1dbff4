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
// eight times their size. The backlog here is zstd'd (ingest's default) and its decoded messages
// need more heap than the worker is given, so the consumer survives only if its fetch sizes bound
// what one fetch holds.
const EVENTS = Number(process.env.MEMORY_TEST_EVENTS ?? 60_000);
const HEAP_MB = Number(process.env.MEMORY_TEST_HEAP_MB ?? 48);
const fetchBytes = (name: string, fallback: number) =>
  process.env[name] === 'default' ? undefined : Number(process.env[name] ?? fallback);

describe('dedup consumer memory', () => {
  let kafka: Kafka;
  let admin: Admin;
  let url: string;
  const topic = uniqueName('dedup-memory');
  const pipeline = uniqueName('memory');
  const keys = new Set<string>();

  before(async () => {
    ({ kafka, admin } = await createTopicOn(await setting('KAFKA_BROKERS'), 'memory-test', topic));
    url = await createDatabaseOn(await setting('DATABASE_URL'), uniqueName('dedup_memory'));
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

  it(`drains a zstd'd backlog of ${EVENTS} events with a ${HEAP_MB} MiB heap, exactly once`, async () => {
    const worker = new Worker(new URL('./heap-capped-consumer.ts', import.meta.url), {
      resourceLimits: { maxOldGenerationSizeMb: HEAP_MB },
      workerData: {
        brokers: await setting('KAFKA_BROKERS'),
        databaseUrl: url,
        topic,
        groupId: uniqueName('dedup-memory-group'),
        pipeline,
        maxBytesPerPartition: fetchBytes('MEMORY_TEST_PARTITION_BYTES', 128 * 1024),
        maxBytesPerFetch: fetchBytes('MEMORY_TEST_FETCH_BYTES', 512 * 1024),
      } satisfies HeapCappedSettings,
    });
    let failure: Error | undefined;
    worker.on('error', (error: unknown) => {
      failure = error instanceof Error ? error : new Error(String(error));
    });
    try {
      await eventually(
        'every event stored',
        async () => {
          if (failure !== undefined) return 'died';
          const { keys: stored } = await storedCounts(url, pipeline);
          return stored >= EVENTS ? 'stored' : undefined;
        },
        120_000,
      );
      assert.equal(failure, undefined, `the consumer died: ${failure?.message ?? ''}`);
      assert.deepEqual(await exactlyOnceReport(url, pipeline, keys), {
        rows: EVENTS,
        keys: EVENTS,
        missing: 0,
        unexpected: 0,
      });
    } finally {
      if (failure === undefined) {
        worker.postMessage('stop');
        await once(worker, 'message');
      }
      await worker.terminate();
    }
  });
});
