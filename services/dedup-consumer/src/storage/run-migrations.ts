import { sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import type { Kysely } from 'kysely';
import type { Database } from './database.ts';
import type { MigrationResult } from 'kysely/migration';
import { SCHEMA_LOCK_KEY, ensurePartitions } from './ensure-partitions.ts';
import { migrationProvider } from './migrations.ts';
import { partitionsAround } from './partition-days.ts';

export interface MigrateOptions {
  readonly now: Date;
  /** The dedup window: day partitions are created back to now − window. */
  readonly windowMs: number;
  /** Day partitions created ahead of today. */
  readonly daysAhead?: number;
}

export interface MigrateReport {
  readonly applied: readonly string[];
  readonly partitions: readonly string[];
}

/**
 * Brings the schema to the latest migration and creates the day partitions around `now`.
 * Idempotent, and safe to run from many processes at once: everything happens under a session
 * advisory lock on one connection (kysely's Migrator adds its own transaction-level lock too).
 */
export async function runMigrations(
  db: Kysely<Database>,
  { now, windowMs, daysAhead = 3 }: MigrateOptions,
): Promise<MigrateReport> {
  const applied = await db.connection().execute(async (conn) => {
    await sql`SELECT pg_advisory_lock(${SCHEMA_LOCK_KEY})`.execute(conn);
    try {
      const migrator = new Migrator({ db: conn, provider: migrationProvider });
      const { error, results = [] } = await migrator.migrateToLatest();
      if (error !== undefined) {
        throw error instanceof Error ? error : new Error('migration failed', { cause: error });
      }
      return results
        .filter((result: MigrationResult) => result.status === 'Success')
        .map((result) => result.migrationName);
    } finally {
      await sql`SELECT pg_advisory_unlock(${SCHEMA_LOCK_KEY})`.execute(conn);
    }
  });
  const partitions = await ensurePartitions(db, partitionsAround(now, windowMs, daysAhead));
  return { applied, partitions };
}
