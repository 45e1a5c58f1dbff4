import type pg from 'pg';
import { coldDaysIn, dayRange } from './day-range.ts';
import type { DayRange } from './day-range.ts';

/** A cold day and the partition that holds it. */
export interface ColdDay extends DayRange {
  readonly partition: string;
  /** The partition covers exactly this UTC day, so it can be dropped once emptied of this pipeline. */
  readonly ownPartition: boolean;
}

interface PartitionRow {
  name: string;
  from_ms: string | null;
  to_ms: string | null;
  is_default: boolean;
}

/**
 * The cold days of `pipeline` still in PostgreSQL, oldest first, found from the catalog (pg_inherits
 * and each partition's bound expression), never from partition names. Range partitions contribute
 * every whole day they cover before the cutoff; the default partition contributes the days it holds
 * rows of, for this pipeline.
 */
export async function findColdDays(
  client: pg.ClientBase,
  pipeline: string,
  cutoff: Date,
): Promise<ColdDay[]> {
  const { rows } = await client.query<PartitionRow>(`
    SELECT name,
           (extract(epoch FROM bounds[1]::timestamptz) * 1000)::bigint::text AS from_ms,
           (extract(epoch FROM bounds[2]::timestamptz) * 1000)::bigint::text AS to_ms,
           bound = 'DEFAULT' AS is_default
    FROM (
      SELECT child.relname AS name,
             pg_get_expr(child.relpartbound, child.oid) AS bound,
             regexp_match(
               pg_get_expr(child.relpartbound, child.oid),
               'FROM \\(''([^'']+)''\\) TO \\(''([^'']+)''\\)'
             ) AS bounds
      FROM pg_inherits
      JOIN pg_class child ON child.oid = pg_inherits.inhrelid
      WHERE pg_inherits.inhparent = 'events'::regclass
    ) AS partitions`);
  const days: ColdDay[] = [];
  for (const row of rows) {
    if (row.is_default) {
      days.push(...(await defaultPartitionDays(client, row.name, pipeline, cutoff)));
      continue;
    }
    if (row.from_ms === null || row.to_ms === null) continue;
    const from = new Date(Number(row.from_ms));
    const to = new Date(Number(row.to_ms));
    const own = to.getTime() - from.getTime() === 86_400_000;
    for (const day of coldDaysIn(from, to, cutoff)) {
      days.push({ ...day, partition: row.name, ownPartition: own });
    }
  }
  return days.sort((a, b) => a.from.getTime() - b.from.getTime());
}

async function defaultPartitionDays(
  client: pg.ClientBase,
  partition: string,
  pipeline: string,
  cutoff: Date,
): Promise<ColdDay[]> {
  const { rows } = await client.query<{ day_ms: string }>(
    `SELECT DISTINCT (extract(epoch FROM date_trunc('day', received_at, 'UTC')) * 1000)::bigint::text AS day_ms
     FROM ${quoteIdent(partition)}
     WHERE pipeline = $1 AND received_at < $2`,
    [pipeline, cutoff],
  );
  return rows.map((row) => ({ ...dayRange(Number(row.day_ms)), partition, ownPartition: false }));
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
