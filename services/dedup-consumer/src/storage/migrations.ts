import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Migration, MigrationProvider } from 'kysely/migration';
import { DEFAULT_PARTITION } from './partition-days.ts';

/*
 * The schema, in code (no file discovery). Append new migrations; never edit a released one.
 * - event_keys: the uniqueness truth, one row per (pipeline, dedup_key) for the dedup window; not
 *   partitioned, so its primary key holds across every day partition of events.
 * - events: partitioned by day on received_at, so the archiver can move whole days out; a default
 *   partition takes any row whose day partition does not exist, so an insert is never refused.
 */
const migrations: Record<string, Migration> = {
  '0001_events_and_keys': {
    async up(db: Kysely<unknown>) {
      await sql`
        CREATE TABLE event_keys (
          pipeline text NOT NULL,
          dedup_key text NOT NULL,
          first_seen_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (pipeline, dedup_key)
        )`.execute(db);
      await sql`CREATE INDEX event_keys_first_seen_at ON event_keys (first_seen_at)`.execute(db);
      await sql`
        CREATE TABLE events (
          dedup_key text NOT NULL,
          pipeline text NOT NULL,
          event_id text,
          type text NOT NULL,
          source text,
          user_id text,
          anonymous_id text,
          event_time timestamptz,
          sent_at timestamptz,
          received_at timestamptz NOT NULL,
          ingestion_id text NOT NULL,
          properties jsonb,
          context jsonb,
          schema_version int NOT NULL,
          kafka_partition int NOT NULL,
          kafka_offset bigint NOT NULL
        ) PARTITION BY RANGE (received_at)`.execute(db);
      await sql`CREATE INDEX events_type_received_at ON events (type, received_at)`.execute(db);
      await sql`CREATE INDEX events_user_id_received_at ON events (user_id, received_at)`.execute(
        db,
      );
      await sql`CREATE TABLE ${sql.id(DEFAULT_PARTITION)} PARTITION OF events DEFAULT`.execute(db);
    },
  },
  // Dedup keys are opaque identifiers: compared byte by byte ("C"), whatever the database's default
  // collation. A linguistic collation (en_US.UTF-8, say) comes from the C library, and a library
  // upgrade that changes its order silently breaks text indexes built with it, the unique key that
  // holds each event once among them. "C" is PostgreSQL's own and never changes; it also makes
  // the key comparisons memcmp. On a fresh database the tables are empty and this is instant; on
  // a filled one it rebuilds event_keys' primary key under the migration lock.
  '0002_dedup_keys_in_c_collation': {
    async up(db: Kysely<unknown>) {
      await sql`
        ALTER TABLE event_keys
          ALTER COLUMN pipeline TYPE text COLLATE "C",
          ALTER COLUMN dedup_key TYPE text COLLATE "C"`.execute(db);
      await sql`ALTER TABLE events ALTER COLUMN dedup_key TYPE text COLLATE "C"`.execute(db);
    },
  },
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};
