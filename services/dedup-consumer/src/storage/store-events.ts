import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Database } from './database.ts';
import { ROW_COLUMN_NAMES, ROW_SELECT, toJsonRows } from './event-rows.ts';
import type { EventRecord } from './event-rows.ts';

export interface StoreResult {
  /** Rows written to events (their keys were new). */
  readonly stored: number;
  /** Records whose key was already in event_keys. */
  readonly duplicates: number;
}

/**
 * Stores the records whose dedup key is not yet known, in ONE statement (hence one transaction):
 * the keys go into event_keys with ON CONFLICT DO NOTHING, and only the keys that insert returned
 * are joined back to the input and written to events. Either both are committed or neither.
 * The records must have distinct dedup keys.
 */
export async function storeEvents(
  db: Kysely<Database>,
  pipeline: string,
  records: readonly EventRecord[],
): Promise<StoreResult> {
  if (records.length === 0) return { stored: 0, duplicates: 0 };
  const result = await sql`
    WITH input AS (
      SELECT ${sql.raw(ROW_SELECT)}
      FROM jsonb_array_elements(${toJsonRows(records)}::jsonb) AS rows(r)
    ), new_keys AS (
      INSERT INTO event_keys (pipeline, dedup_key)
      SELECT ${pipeline}, dedup_key FROM input
      ON CONFLICT DO NOTHING
      RETURNING dedup_key
    )
    INSERT INTO events (pipeline, ${sql.raw(ROW_COLUMN_NAMES)})
    SELECT ${pipeline}, ${sql.raw(ROW_COLUMN_NAMES)}
    FROM input JOIN new_keys USING (dedup_key)`.execute(db);
  const stored = Number(result.numAffectedRows ?? 0n);
  return { stored, duplicates: records.length - stored };
}
