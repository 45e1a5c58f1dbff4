/**
 * The columns an archived day keeps, in file order, with their DuckDB types. `pipeline` is not
 * stored in the file: the hive path (pipeline=…/date=…) carries it, and the catalog views add it
 * back together with `date`.
 */
export const ARCHIVED_COLUMNS = [
  ['dedup_key', 'VARCHAR'],
  ['event_id', 'VARCHAR'],
  ['type', 'VARCHAR'],
  ['source', 'VARCHAR'],
  ['user_id', 'VARCHAR'],
  ['anonymous_id', 'VARCHAR'],
  ['event_time', 'TIMESTAMPTZ'],
  ['sent_at', 'TIMESTAMPTZ'],
  ['received_at', 'TIMESTAMPTZ'],
  ['ingestion_id', 'VARCHAR'],
  ['properties', 'JSON'],
  ['context', 'JSON'],
  ['schema_version', 'INTEGER'],
  ['kafka_partition', 'INTEGER'],
  ['kafka_offset', 'BIGINT'],
] as const;

export const COLUMN_NAMES: readonly string[] = ARCHIVED_COLUMNS.map(([name]) => name);

/** Who did it: the user when known, else the anonymous id. */
export const ACTOR = 'coalesce(user_id, anonymous_id)';

/**
 * Columns DuckDB derives while converting, after the stored ones, with the expression that
 * computes each from the stored columns (the catalog uses it for parts written before the column
 * existed):
 * - `property_keys`: the top-level keys of `properties`, so "which properties do events carry"
 *   reads a small list column instead of parsing every event's JSON at query time;
 * - `actor_hash`: the first 64 bits of md5 of the actor (NULL without one), so "distinct users"
 *   counts integers instead of strings: about twice as fast over 10 M events. md5, not DuckDB's
 *   hash(), because its value must not change with the DuckDB version. Two actors share a hash
 *   with probability ~n²/2⁶⁵ (about 3·10⁻⁸ for a million actors in a day).
 */
export const DERIVED_COLUMNS = [
  ['property_keys', 'VARCHAR[]', 'json_keys(properties)'],
  ['actor_hash', 'UBIGINT', `('0x' || substr(md5(${ACTOR}), 1, 16))::UBIGINT`],
] as const;

/**
 * The order-independent checksum over dedup keys, the same number in both engines: the sum of the
 * first 15 hex digits (60 bits) of md5(dedup_key), as decimal text. PostgreSQL sums bigints into
 * numeric, DuckDB into HUGEINT, so neither overflows.
 */
export function pgChecksum(filter?: string): string {
  const only = filter === undefined ? '' : ` FILTER (WHERE ${filter})`;
  return `coalesce(sum(('x' || substr(md5(dedup_key), 1, 15))::bit(60)::bigint)${only}, 0)::text`;
}
export const DUCKDB_CHECKSUM = `coalesce(sum(('0x' || substr(md5(dedup_key), 1, 15))::BIGINT), 0)::VARCHAR`;

/** Row count and checksum of one day's events of one pipeline. */
export interface DayStats {
  readonly rows: number;
  readonly checksum: string;
}

export function sameStats(a: DayStats, b: DayStats): boolean {
  return a.rows === b.rows && a.checksum === b.checksum;
}
