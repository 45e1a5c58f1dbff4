import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Database } from './database.ts';

/**
 * Deletes dedup keys first seen longer ago than the window, in chunks so no transaction holds many
 * row locks. After this, an event resent beyond the window is stored again: the window is the
 * promise. Returns how many keys were deleted.
 */
export async function expireKeys(
  db: Kysely<Database>,
  {
    pipeline,
    windowMs,
    now,
    chunk = 10_000,
  }: { pipeline: string; windowMs: number; now: Date; chunk?: number },
): Promise<number> {
  const cutoff = new Date(now.getTime() - windowMs).toISOString();
  let total = 0;
  for (;;) {
    const result = await sql`
      DELETE FROM event_keys
      WHERE ctid IN (
        SELECT ctid FROM event_keys
        WHERE pipeline = ${pipeline} AND first_seen_at < ${cutoff}::timestamptz
        LIMIT ${chunk})`.execute(db);
    const deleted = Number(result.numAffectedRows ?? 0n);
    total += deleted;
    if (deleted < chunk) return total;
  }
}
