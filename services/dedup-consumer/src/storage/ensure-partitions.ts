import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Database } from './database.ts';
import type { DayPartition } from './partition-days.ts';

/** Any constant unique to this schema's DDL; PostgreSQL advisory locks are per database. */
export const SCHEMA_LOCK_KEY = 4_242_001;

/**
 * Creates the day partitions that do not exist yet, each in its own transaction under the schema
 * advisory lock (so concurrent consumers do not race). Returns the names that exist afterwards.
 * A day whose rows already went to the default partition cannot get its own partition any more
 * (PostgreSQL refuses while the default holds rows of that range): it stays in the default, which
 * is correct, merely less tidy; the name is left out of the result.
 */
export async function ensurePartitions(
  db: Kysely<Database>,
  days: readonly DayPartition[],
): Promise<string[]> {
  const existing = new Set(await listPartitions(db));
  const ready: string[] = [];
  for (const day of days) {
    if (existing.has(day.name)) {
      ready.push(day.name);
      continue;
    }
    try {
      await db.transaction().execute(async (trx) => {
        await sql`SELECT pg_advisory_xact_lock(${SCHEMA_LOCK_KEY})`.execute(trx);
        await sql`
          CREATE TABLE IF NOT EXISTS ${sql.id(day.name)} PARTITION OF events
          FOR VALUES FROM (${sql.lit(day.from)}) TO (${sql.lit(day.to)})`.execute(trx);
      });
      ready.push(day.name);
    } catch (error) {
      if (!isDefaultPartitionConflict(error)) throw error;
    }
  }
  return ready;
}

export async function listPartitions(db: Kysely<Database>): Promise<string[]> {
  const result = await sql<{ name: string }>`
    SELECT child.relname AS name
    FROM pg_inherits
    JOIN pg_class parent ON parent.oid = pg_inherits.inhparent
    JOIN pg_class child ON child.oid = pg_inherits.inhrelid
    WHERE parent.relname = 'events'
      AND parent.relnamespace = to_regnamespace(current_schema())::oid`.execute(db);
  return result.rows.map((row) => row.name).sort();
}

function isDefaultPartitionConflict(error: unknown): boolean {
  // 23514 check_violation: "updated partition constraint for default partition would be violated"
  return typeof error === 'object' && error !== null && 'code' in error && error.code === '23514';
}
