import type { StoredEvent } from '@event-pipeline/platform';

/** An event with where it was read from, ready to be stored. */
export interface EventRecord {
  readonly event: StoredEvent;
  readonly partition: number;
  readonly offset: string;
}

/** Column arrays for one unnest(...) insert, sorted by dedup key (a stable lock order). */
export interface EventColumns {
  readonly dedupKey: string[];
  readonly eventId: (string | null)[];
  readonly type: string[];
  readonly source: (string | null)[];
  readonly userId: (string | null)[];
  readonly anonymousId: (string | null)[];
  readonly eventTime: (string | null)[];
  readonly sentAt: (string | null)[];
  readonly receivedAt: string[];
  readonly ingestionId: string[];
  readonly properties: (string | null)[];
  readonly context: (string | null)[];
  readonly schemaVersion: number[];
  readonly kafkaPartition: number[];
  readonly kafkaOffset: string[];
}

/**
 * Sorting by key means two transactions touching overlapping keys lock them in the same order,
 * so concurrent writers (a rebalance overlap, two partitions carrying one id) cannot deadlock.
 */
export function toColumns(records: readonly EventRecord[]): EventColumns {
  const sorted = [...records].sort((a, b) =>
    a.event.dedupKey < b.event.dedupKey ? -1 : a.event.dedupKey > b.event.dedupKey ? 1 : 0,
  );
  const columns: EventColumns = {
    dedupKey: [],
    eventId: [],
    type: [],
    source: [],
    userId: [],
    anonymousId: [],
    eventTime: [],
    sentAt: [],
    receivedAt: [],
    ingestionId: [],
    properties: [],
    context: [],
    schemaVersion: [],
    kafkaPartition: [],
    kafkaOffset: [],
  };
  for (const { event, partition, offset } of sorted) {
    columns.dedupKey.push(event.dedupKey);
    columns.eventId.push(event.id ?? null);
    columns.type.push(event.type);
    columns.source.push(event.source ?? null);
    columns.userId.push(event.userId ?? null);
    columns.anonymousId.push(event.anonymousId ?? null);
    columns.eventTime.push(event.timestamp ?? null);
    columns.sentAt.push(event.sentAt ?? null);
    columns.receivedAt.push(event.receivedAt);
    columns.ingestionId.push(event.ingestionId);
    columns.properties.push(
      event.properties === undefined ? null : JSON.stringify(event.properties),
    );
    columns.context.push(event.context === undefined ? null : JSON.stringify(event.context));
    columns.schemaVersion.push(event.schemaVersion);
    columns.kafkaPartition.push(partition);
    columns.kafkaOffset.push(offset);
  }
  return columns;
}
