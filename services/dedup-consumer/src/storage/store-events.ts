import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Database } from './database.ts';
import { toJsonRows } from './event-rows.ts';
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
      SELECT r->>0 AS dedup_key, r->>1 AS event_id, r->>2 AS type, r->>3 AS source,
             r->>4 AS user_id, r->>5 AS anonymous_id, (r->>6)::timestamptz AS event_time,
             (r->>7)::timestamptz AS sent_at, (r->>8)::timestamptz AS received_at,
             r->>9 AS ingestion_id, nullif(r->10, 'null') AS properties,
             nullif(r->11, 'null') AS context, (r->>12)::int AS schema_version,
             (r->>13)::int AS kafka_partition, (r->>14)::bigint AS kafka_offset
      FROM jsonb_array_elements(${toJsonRows(records)}::jsonb) AS rows(r)
    ), new_keys AS (
      INSERT INTO event_keys (pipeline, dedup_key)
      SELECT ${pipeline}, dedup_key FROM input
      ON CONFLICT DO NOTHING
      RETURNING dedup_key
    )
    INSERT INTO events (dedup_key, pipeline, event_id, type, source, user_id, anonymous_id,
                        event_time, sent_at, received_at, ingestion_id, properties, context,
                        schema_version, kafka_partition, kafka_offset)
    SELECT input.dedup_key, ${pipeline}, event_id, type, source, user_id, anonymous_id,
           event_time, sent_at, received_at, ingestion_id, properties, context,
           schema_version, kafka_partition, kafka_offset
    FROM input JOIN new_keys USING (dedup_key)`.execute(db);
  const stored = Number(result.numAffectedRows ?? 0n);
  return { stored, duplicates: records.length - stored };
}
