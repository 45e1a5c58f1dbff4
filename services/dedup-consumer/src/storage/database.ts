import { Kysely, PostgresDialect } from 'kysely';
import type { ColumnType, Generated } from 'kysely';
import pg from 'pg';

// bigint columns (kafka_offset) come back as strings; timestamps as Date.
export interface EventsTable {
  dedup_key: string;
  pipeline: string;
  event_id: string | null;
  type: string;
  source: string | null;
  user_id: string | null;
  anonymous_id: string | null;
  event_time: Date | null;
  sent_at: Date | null;
  received_at: Date;
  ingestion_id: string;
  properties: unknown;
  context: unknown;
  schema_version: number;
  kafka_partition: number;
  kafka_offset: ColumnType<string, string | number, never>;
}

export interface EventKeysTable {
  pipeline: string;
  dedup_key: string;
  first_seen_at: Generated<Date>;
}

export interface Database {
  events: EventsTable;
  event_keys: EventKeysTable;
}

export interface DatabaseOptions {
  readonly connectionString: string;
  readonly maxConnections?: number;
  /** Per-connection statement timeout; a hung query must not hold a partition forever. */
  readonly statementTimeoutMs?: number;
  /** Told when PostgreSQL ends a pooled session (a restart); the pool then opens a new one. */
  readonly onConnectionError?: (error: Error) => void;
}

export function createDatabase({
  connectionString,
  maxConnections = 10,
  statementTimeoutMs = 60_000,
  onConnectionError = () => undefined,
}: DatabaseOptions): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString,
    max: maxConnections,
    connectionTimeoutMillis: 5_000,
    statement_timeout: statementTimeoutMs,
  });
  // PostgreSQL ending a session (stop, restart) must not crash the process. pg-pool listens on
  // idle clients only and kysely adds no listener to the client it holds, so each client gets its
  // own; the query in flight still fails (its batch is retried) and the pool drops the client.
  // The pool's re-emit of an idle client's error is muted: the client's listener already told.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => {
    client.on('error', onConnectionError);
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
