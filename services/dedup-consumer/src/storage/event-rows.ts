import type { StoredEvent } from '@event-pipeline/platform';

/** An event with where it was read from, ready to be stored. */
export interface EventRecord {
  readonly event: StoredEvent;
  readonly partition: number;
  readonly offset: string;
}

type JsonCell = string | number | StoredEvent['properties'] | null;

/**
 * The events columns a record fills, in the order toJsonRows writes them: the one list both the
 * JSON rows and the SQL that reads them back (ROW_SELECT) are made from. `pipeline` is not here:
 * the statement adds it.
 */
const ROW_COLUMNS: readonly (readonly [
  column: string,
  type: 'text' | 'timestamptz' | 'jsonb' | 'int' | 'bigint',
  cell: (record: EventRecord) => JsonCell,
])[] = [
  ['dedup_key', 'text', ({ event }) => event.dedupKey],
  ['event_id', 'text', ({ event }) => event.id ?? null],
  ['type', 'text', ({ event }) => event.type],
  ['source', 'text', ({ event }) => event.source ?? null],
  ['user_id', 'text', ({ event }) => event.userId ?? null],
  ['anonymous_id', 'text', ({ event }) => event.anonymousId ?? null],
  ['event_time', 'timestamptz', ({ event }) => event.timestamp ?? null],
  ['sent_at', 'timestamptz', ({ event }) => event.sentAt ?? null],
  ['received_at', 'timestamptz', ({ event }) => event.receivedAt],
  ['ingestion_id', 'text', ({ event }) => event.ingestionId],
  ['properties', 'jsonb', ({ event }) => event.properties ?? null],
  ['context', 'jsonb', ({ event }) => event.context ?? null],
  ['schema_version', 'int', ({ event }) => event.schemaVersion],
  ['kafka_partition', 'int', ({ partition }) => partition],
  ['kafka_offset', 'bigint', ({ offset }) => offset],
];

/** The row columns' names, comma-separated, for INSERT and SELECT lists. */
export const ROW_COLUMN_NAMES = ROW_COLUMNS.map(([column]) => column).join(', ');

/**
 * The select list that reads one element `r` of toJsonRows back as typed columns. A JSON null in
 * `properties` / `context` (an absent field) becomes SQL NULL, not the JSON value null.
 */
export const ROW_SELECT = ROW_COLUMNS.map(([column, type], i) => {
  if (type === 'text') return `r->>${i} AS ${column}`;
  if (type === 'jsonb') return `nullif(r->${i}, 'null') AS ${column}`;
  return `(r->>${i})::${type} AS ${column}`;
}).join(', ');

/**
 * The records as one JSON array of rows (each row an array in ROW_COLUMNS order), sorted by dedup
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
  return JSON.stringify(sorted.map((record) => ROW_COLUMNS.map(([, , cell]) => cell(record))));
}
