// The CPU work ingest does per event between the request body and the bytes kafkajs sends, stage
// by stage, without any I/O: the number to watch when changing the request path (bench-ingest
// measures the whole service, with Kafka and Redis sharing the cores, and is far noisier).
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { encodeEventMessage, enrichEvent } from '@event-pipeline/platform';
import type { EventMessage, StoredEvent } from '@event-pipeline/platform';
import { DEFAULT_LIMITS } from '../services/ingest/src/config.ts';
import { batchEvents, validateEvents } from '../services/ingest/src/validate-events.ts';
import { BATCH_BODY } from './batch-body.ts';

/**
 * kafkajs's record-batch encoder, the code its producer runs for every produce request. It is not
 * part of kafkajs's public API: if an upgrade moves it, this bench (and its test) fails loudly.
 */
const require = createRequire(import.meta.url);
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (batch: {
    compression: number;
    records: unknown[];
    firstSequence: number;
    producerId: number;
    producerEpoch: number;
    lastOffsetDelta: number;
  }) => Promise<{ buffer: Buffer }>;
};
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (record: {
  offsetDelta: number;
  timestampDelta: number;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}) => unknown;

const TRACE_HEADERS = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };

export interface StageRow {
  readonly stage: string;
  /** Best (lowest) of the rounds, µs of CPU per event, to 0.01. */
  readonly usPerEvent: number;
}

export interface EventPathResult {
  readonly events: number;
  readonly stages: readonly StageRow[];
  /** All stages added up. */
  readonly totalUs: number;
  /** JSON.parse of the body and JSON.stringify of each event: the least a JSON-in, JSON-out path does. */
  readonly baselineUs: number;
  /** The encoded record batch, bytes (a check that kafkajs really encoded the events). */
  readonly recordBatchBytes: number;
}

/** Runs each stage `iterations` times per round and keeps the best round of `rounds`. */
export async function measureEventPath({
  rounds,
  iterations,
}: {
  readonly rounds: number;
  readonly iterations: number;
}): Promise<EventPathResult> {
  const events = batchEvents(JSON.parse(BATCH_BODY), DEFAULT_LIMITS);
  const { valid } = validateEvents(events, DEFAULT_LIMITS);
  if (valid.length !== events.length) throw new Error('the bench batch must be all valid events');
  const receipt = { receivedAt: new Date().toISOString(), pipeline: 'bench' };
  const stored: StoredEvent[] = valid.map(({ event }) =>
    enrichEvent(event, { ...receipt, ingestionId: randomUUID() }),
  );
  const messages: EventMessage[] = stored.map((event) => encodeEventMessage(event, TRACE_HEADERS));
  let recordBatchBytes = 0;

  const best = async (work: () => unknown): Promise<number> => {
    let fastest = Number.POSITIVE_INFINITY;
    for (let round = 0; round < rounds; round += 1) {
      const started = process.cpuUsage();
      for (let i = 0; i < iterations; i += 1) await work();
      const used = process.cpuUsage(started);
      fastest = Math.min(fastest, (used.user + used.system) / iterations / events.length);
    }
    return Math.round(fastest * 100) / 100;
  };

  const stages: StageRow[] = [
    { stage: 'parse the body (JSON.parse)', usPerEvent: await best(() => JSON.parse(BATCH_BODY)) },
    {
      stage: 'validate (limits + zod)',
      usPerEvent: await best(() => validateEvents(events, DEFAULT_LIMITS)),
    },
    {
      stage: 'enrich (dedup key, clock skew, ids)',
      usPerEvent: await best(() => {
        for (const { event } of valid)
          enrichEvent(event, { ...receipt, ingestionId: randomUUID() });
      }),
    },
    {
      stage: 'Kafka message (value, key, headers)',
      usPerEvent: await best(() => {
        for (const event of stored) encodeEventMessage(event, TRACE_HEADERS);
      }),
    },
    {
      stage: 'kafkajs record batch (uncompressed)',
      usPerEvent: await best(async () => {
        const batch = await RecordBatch({
          compression: 0,
          records: messages.map((message, offsetDelta) =>
            Record({ offsetDelta, timestampDelta: 0, ...message }),
          ),
          firstSequence: 0,
          producerId: 1,
          producerEpoch: 0,
          lastOffsetDelta: messages.length - 1,
        });
        recordBatchBytes = batch.buffer.length;
      }),
    },
  ];
  const baselineUs = await best(() => {
    const body = JSON.parse(BATCH_BODY) as { events: unknown[] };
    for (const event of body.events) JSON.stringify(event);
  });
  const totalUs = Math.round(stages.reduce((sum, row) => sum + row.usPerEvent, 0) * 100) / 100;
  return { events: events.length, stages, totalUs, baselineUs, recordBatchBytes };
}
