import { SpanKind, trace } from '@opentelemetry/api';
import type { Link } from '@opentelemetry/api';
import { extractTraceContext, deadLetterTopic, recordSpanFailure } from '@event-pipeline/platform';
import type { Logger } from '@event-pipeline/platform';
import type { Kysely } from 'kysely';
import type { Database } from './storage/database.ts';
import type { Producer } from 'kafkajs';
import { deadLetterMessage } from './dead-letter-message.ts';
import type { ConsumerMetrics } from './consumer-metrics.ts';
import type { MarkWriter } from './dedup/mark-writer.ts';
import type { RedisDedup } from './dedup/redis-dedup.ts';
import { redisErrorText } from './dedup/redis-client.ts';
import { planBatch } from './plan-batch.ts';
import type { InputMessage } from './plan-batch.ts';
import type { PartitionKeeper } from './partition-keeper.ts';
import { storeEvents } from './storage/store-events.ts';
import type { StoreResult } from './storage/store-events.ts';

export interface StoreBatchDeps {
  readonly db: Kysely<Database>;
  readonly producer: Producer;
  readonly redisDedup: RedisDedup | undefined;
  /** Writes the Redis marks of committed keys in the background (see recordStored below). */
  readonly marks: MarkWriter;
  readonly partitions: PartitionKeeper;
  readonly pipeline: string;
  readonly logger: Logger;
  readonly metrics: ConsumerMetrics;
  readonly now: () => Date;
  /** Told after each commit (benchmarks measure ingest-to-commit latency with it). */
  readonly onCommitted?: ((batch: CommittedBatch) => void) | undefined;
}

export interface CommittedBatch {
  /** Messages of the chunk, duplicates and poison included. */
  readonly messages: number;
  readonly stored: number;
  /** receivedAt (ms) of each event sent to PostgreSQL in this commit. */
  readonly receivedAt: readonly number[];
  readonly committedAt: number;
}

const tracer = trace.getTracer('dedup-consumer');
const MAX_LINKS = 128;

/**
 * Makes one chunk of a partition durable, in this order: poison messages to the dead-letter topic
 * (acks=all), the Redis fast path drops keys marked as stored, the rest go through PostgreSQL's
 * unique key in one transaction, and only after that commit the keys are marked in Redis (in the
 * background: the chunk's offsets do not wait for the marks).
 * Resolves when the chunk's offsets may be committed; rejects (nothing to commit) otherwise.
 * Redis failures never reject: they only send more keys to PostgreSQL.
 */
export async function storeBatch(
  deps: StoreBatchDeps,
  origin: { topic: string; partition: number },
  messages: readonly InputMessage[],
): Promise<void> {
  const { metrics, logger } = deps;
  const links: Link[] = [];
  for (const message of messages.slice(0, MAX_LINKS)) {
    const spanContext = trace.getSpanContext(extractTraceContext(message.headers));
    if (spanContext !== undefined) links.push({ context: spanContext });
  }
  const first = messages[0];
  const parent = extractTraceContext(first?.headers);
  const span = tracer.startSpan(
    'dedup-consumer store',
    {
      kind: SpanKind.CONSUMER,
      links,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.destination.name': origin.topic,
        'messaging.destination.partition.id': String(origin.partition),
        'messaging.batch.message_count': messages.length,
      },
    },
    parent,
  );
  const timer = metrics.batchSeconds.startTimer();
  try {
    const plan = planBatch(origin.partition, messages);
    if (plan.deadLetters.length > 0) {
      const failedAt = deps.now();
      await deps.producer.send({
        topic: deadLetterTopic(origin.topic),
        acks: -1,
        messages: plan.deadLetters.map((letter) => deadLetterMessage(letter, origin, failedAt)),
      });
      for (const letter of plan.deadLetters) {
        metrics.deadLetters.inc({ reason: letter.reason });
        logger.warn(
          {
            partition: origin.partition,
            offset: letter.message.offset,
            reason: letter.reason,
            detail: letter.detail,
          },
          'poison message sent to the dead-letter topic',
        );
      }
      metrics.events.inc({ outcome: 'dead_lettered' }, plan.deadLetters.length);
    }

    const keys = plan.records.map((record) => record.event.dedupKey);
    const statuses = await probe(deps, keys);
    const toStore = plan.records.filter((_, i) => statuses?.[i] !== 'stored');
    const redisDuplicates = plan.records.length - toStore.length;

    await deps.partitions.ensureFor(toStore.map((record) => record.event.receivedAt));
    // A child span for the PostgreSQL statement: the trace goes ingest → Kafka → here → PostgreSQL.
    const insert = tracer.startSpan(
      'INSERT events',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'db.system.name': 'postgresql',
          'db.operation.name': 'INSERT',
          'db.collection.name': 'events',
          'db.operation.batch.size': toStore.length,
        },
      },
      trace.setSpan(parent, span),
    );
    let result: StoreResult;
    try {
      result = await storeEvents(deps.db, deps.pipeline, toStore);
    } catch (error) {
      recordSpanFailure(insert, error);
      throw error;
    } finally {
      insert.end();
    }
    const committedAt = deps.now().getTime();

    await deps.marks.add(toStore.map((r) => r.event.dedupKey));
    const receivedAt = toStore.map((r) => Date.parse(r.event.receivedAt));
    for (const at of receivedAt) metrics.ingestToCommitSeconds.observe((committedAt - at) / 1000);
    deps.onCommitted?.({
      messages: messages.length,
      stored: result.stored,
      receivedAt,
      committedAt,
    });
    metrics.events.inc({ outcome: 'stored' }, result.stored);
    const duplicates = plan.duplicatesInBatch + redisDuplicates + result.duplicates;
    metrics.events.inc({ outcome: 'duplicate' }, duplicates);
    metrics.duplicates.inc({ detected_by: 'batch' }, plan.duplicatesInBatch);
    metrics.duplicates.inc({ detected_by: 'redis' }, redisDuplicates);
    metrics.duplicates.inc({ detected_by: 'postgres' }, result.duplicates);
    span.setAttributes({
      'eventpipeline.stored': result.stored,
      'eventpipeline.duplicates': duplicates,
    });
  } catch (error) {
    recordSpanFailure(span, error);
    throw error;
  } finally {
    timer();
    span.end();
  }
}

async function probe(deps: StoreBatchDeps, keys: readonly string[]) {
  if (deps.redisDedup === undefined || keys.length === 0) return undefined;
  try {
    const statuses = await deps.redisDedup.probe(keys, deps.now().getTime());
    for (const status of statuses) deps.metrics.bloom.inc({ result: status });
    return statuses;
  } catch (error) {
    deps.metrics.redisErrors.inc({ operation: 'probe' });
    deps.logger.warn(
      { error: redisErrorText(error) },
      'Redis probe failed; PostgreSQL decides for this batch',
    );
    return undefined;
  }
}

/** Marks committed keys in Redis; never rejects (a lost mark only sends a duplicate to PostgreSQL). */
export async function recordStored(
  deps: Pick<StoreBatchDeps, 'redisDedup' | 'now' | 'metrics' | 'logger'>,
  keys: readonly string[],
): Promise<void> {
  if (deps.redisDedup === undefined || keys.length === 0) return;
  const nowMs = deps.now().getTime();
  try {
    await deps.redisDedup.recordStored(keys, nowMs);
  } catch (error) {
    deps.metrics.redisErrors.inc({ operation: 'record' });
    deps.logger.warn(
      { error: redisErrorText(error) },
      'Redis marks not written; later duplicates go to PostgreSQL',
    );
  } finally {
    deps.metrics.bloomFill.set(deps.redisDedup.bloomFillRatio(nowMs));
  }
}
