import type { StoredEvent } from '@event-pipeline/platform';

/** An event with where it was read from, ready to be stored. */
export interface EventRecord {
  readonly event: StoredEvent;
  readonly partition: number;
  readonly offset: string;
}

/**
 * The records as one JSON array of rows (each row an array in ROW_FIELDS order), sorted by dedup
 * key: one parameter that PostgreSQL parses once as jsonb, `properties` and `context` included,
 * instead of fifteen array literals that pg escapes element by element in JavaScript.
 *
 * Sorting by key means two transactions touching overlapping keys lock them in the same order,
 * so concurrent writers (a rebalance overlap, two partitions carrying one id) cannot deadlock.
 */
export function toJsonRows(records: readonly EventRecord[]): string {
  const sorted = [...records].sort((a, b) =>
    a.event.dedupKey < b.event.dedupKey ? -1 : a.event.dedupKey > b.event.dedupKey ? 1 : 0,
  );
  return JSON.stringify(
    sorted.map(({ event, partition, offset }) => [
      event.dedupKey,
      event.id ?? null,
      event.type,
      event.source ?? null,
      event.userId ?? null,
      event.anonymousId ?? null,
      event.timestamp ?? null,
      event.sentAt ?? null,
      event.receivedAt,
      event.ingestionId,
      event.properties ?? null,
      event.context ?? null,
      event.schemaVersion,
      partition,
      offset,
    ]),
  );
}
