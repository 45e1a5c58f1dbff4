// The CPU work ingest does per event between the request body and the bytes kafkajs sends, stage
// by stage, without any I/O: the number to watch when changing the request path (bench-ingest
// measures the whole service, with Kafka and Redis sharing the cores, and is far noisier).
import { randomUUID } from 'node:crypto';
import { encodeEventMessage, enrichEvent } from '@event-pipeline/platform';
import type { EventMessage, StoredEvent } from '@event-pipeline/platform';
import kafkajs from 'kafkajs';
import {
  loadRecordEncoders,
  toKafkaRecord,
} from '../packages/platform/src/kafka/kafkajs-record-encoder.ts';
import { encodeRecords } from '../packages/platform/src/kafka/record-batch.ts';
import {
  type KafkajsCodec,
  ZSTD_LEVEL,
  zstdCodec,
} from '../packages/platform/src/kafka/zstd-codec.ts';
import { DEFAULT_LIMITS } from '../services/ingest/src/config.ts';
import { batchEvents, validateEvents } from '../services/ingest/src/validate-events.ts';
import { BATCH_BODY } from './batch-body.ts';
import { cpuBestRound } from './cpu-best-round.ts';

/**
 * kafkajs's record-batch encoder and ours (packages/platform/src/kafka/kafkajs-record-encoder.ts),
 * which createKafkaClient installs in kafkajs's place; gzip is kafkajs's codec, zstd ours.
 */
const encoders = loadRecordEncoders();
const { CompressionCodecs, CompressionTypes } = kafkajs;

const TRACE_HEADERS = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };

/** The bench body's events, validated, and the receipt ingest would stamp them with. */
function benchBatch() {
  const events = batchEvents(JSON.parse(BATCH_BODY), DEFAULT_LIMITS);
  const { valid } = validateEvents(events, DEFAULT_LIMITS);
  if (valid.length !== events.length) throw new Error('the bench batch must be all valid events');
  return { events, valid, receipt: { receivedAt: new Date().toISOString(), pipeline: 'bench' } };
}

/** `count` of ingest's Kafka messages: the bench body's events in turn, fresh ingestion ids. */
export function benchMessages(count: number): EventMessage[] {
  const { valid, receipt } = benchBatch();
  return Array.from({ length: count }, (_, i) => {
    const { event } = valid[i % valid.length] ?? { event: { type: 'x' } };
    return encodeEventMessage(
      enrichEvent(event, { ...receipt, ingestionId: randomUUID() }),
      TRACE_HEADERS,
    );
  });
}

export interface StageRow {
  readonly stage: string;
  /** Best (lowest) of the rounds, µs of CPU per event, to 0.01. */
  readonly usPerEvent: number;
}

export interface EventPathResult {
  readonly events: number;
  /** The work ingest does, in order: these add up to totalUs. */
  readonly stages: readonly StageRow[];
  /** What ingest no longer runs, measured beside it: kafkajs's own encoder, gzip. */
  readonly alternatives: readonly StageRow[];
  /** All stages added up. */
  readonly totalUs: number;
  /** JSON.parse of the body and JSON.stringify of each event: the least a JSON-in, JSON-out path does. */
  readonly baselineUs: number;
  /** The encoded record batch, bytes (a check that the encoders really encoded the events). */
  readonly recordBatchBytes: number;
  /** Whether kafkajs's encoder wrote the very same bytes as ours. */
  readonly encodersAgree: boolean;
  /** The batch's records compressed, bytes (what Kafka stores and the consumer fetches). */
  readonly compressedBytes: { readonly gzip: number; readonly zstd: number };
}

/** Runs each stage `iterations` times per round and keeps the best round of `rounds`. */
export async function measureEventPath({
  rounds,
  iterations,
}: {
  readonly rounds: number;
  readonly iterations: number;
}): Promise<EventPathResult> {
  const { events, valid, receipt } = benchBatch();
  const stored: StoredEvent[] = valid.map(({ event }) =>
    enrichEvent(event, { ...receipt, ingestionId: randomUUID() }),
  );
  const messages: EventMessage[] = stored.map((event) => encodeEventMessage(event, TRACE_HEADERS));
  let recordBatchBytes = 0;
  const compressedBytes = { gzip: 0, zstd: 0 };

  /** A produce request's record batch of the messages, as kafkajs's produce request builds it. */
  const encodeBatch = async (
    record: (args: Record<string, unknown>) => unknown,
    recordBatch: (args: Record<string, unknown>) => Promise<unknown>,
  ): Promise<Buffer> => {
    const batch = (await recordBatch({
      compression: 0,
      records: messages.map((message, offsetDelta) =>
        record({ offsetDelta, timestampDelta: 0, ...message }),
      ),
      firstTimestamp: 1_700_000_000_000,
      maxTimestamp: 1_700_000_000_000,
      firstSequence: 0,
      producerId: 1,
      producerEpoch: 0,
      lastOffsetDelta: messages.length - 1,
    })) as { buffer: Buffer };
    return batch.buffer;
  };
  // The records of that batch, which a codec compresses (the batch header stays uncompressed).
  const records = encodeRecords(
    messages.map((message, offsetDelta) => {
      const record = toKafkaRecord({ offsetDelta, timestampDelta: 0, ...message });
      if (record === undefined) throw new Error('an event message the encoder does not take');
      return record;
    }),
  );
  const codecs = {
    gzip: CompressionCodecs[CompressionTypes.GZIP]() as KafkajsCodec,
    zstd: zstdCodec(),
  };
  const compressed = (codec: 'gzip' | 'zstd'): Promise<Buffer> =>
    codecs[codec].compress({ buffer: records });

  const best = (work: () => unknown): Promise<number> =>
    cpuBestRound({ rounds, iterations, units: events.length }, work);

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
      stage: 'record batch (one-buffer encoder)',
      usPerEvent: await best(async () => {
        recordBatchBytes = (await encodeBatch(encoders.fastRecord, encoders.fastRecordBatch))
          .length;
      }),
    },
    {
      stage: `zstd (level ${ZSTD_LEVEL}, the default codec)`,
      usPerEvent: await best(async () => {
        compressedBytes.zstd = (await compressed('zstd')).length;
      }),
    },
  ];
  const alternatives: StageRow[] = [
    {
      stage: 'record batch (kafkajs 2.2.4 encoder)',
      usPerEvent: await best(() =>
        encodeBatch(encoders.originalRecord, encoders.originalRecordBatch),
      ),
    },
    {
      stage: 'gzip (kafkajs codec)',
      usPerEvent: await best(async () => {
        compressedBytes.gzip = (await compressed('gzip')).length;
      }),
    },
  ];
  const encodersAgree = (
    await encodeBatch(encoders.originalRecord, encoders.originalRecordBatch)
  ).equals(await encodeBatch(encoders.fastRecord, encoders.fastRecordBatch));
  const baselineUs = await best(() => {
    const body = JSON.parse(BATCH_BODY) as { events: unknown[] };
    for (const event of body.events) JSON.stringify(event);
  });
  const totalUs = Math.round(stages.reduce((sum, row) => sum + row.usPerEvent, 0) * 100) / 100;
  return {
    events: events.length,
    stages,
    alternatives,
    totalUs,
    baselineUs,
    recordBatchBytes,
    encodersAgree,
    compressedBytes,
  };
}
