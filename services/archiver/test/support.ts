import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
// The hot table's schema is the dedup consumer's: its own migration creates it here.
import { runMigrations } from '../../dedup-consumer/src/storage/run-migrations.ts';
import { ensurePartitions } from '../../dedup-consumer/src/storage/ensure-partitions.ts';
import { dayPartition } from '../../dedup-consumer/src/storage/partition-days.ts';

export const DAY_MS = 86_400_000;
export const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

export function utcMidnight(daysAgo: number, now = Date.now()): number {
  return Math.floor(now / DAY_MS) * DAY_MS - daysAgo * DAY_MS;
}

/** A database of its own on the shared server, with the dedup consumer's schema. */
export async function createEventsDatabase(serverUrl: string, name: string): Promise<string> {
  const dbName = name.replaceAll(/[^a-z0-9_]/g, '_');
  await withClient(serverUrl, (client) => client.query(`CREATE DATABASE ${dbName}`));
  const url = new URL(serverUrl);
  url.pathname = `/${dbName}`;
  const db = kyselyOf(url.toString());
  try {
    await runMigrations(db, { now: new Date(), windowMs: DAY_MS, daysAhead: 1 });
  } finally {
    await db.destroy();
  }
  return url.toString();
}

export async function dropDatabase(serverUrl: string, databaseUrl: string): Promise<void> {
  const name = new URL(databaseUrl).pathname.slice(1);
  await withClient(serverUrl, (client) =>
    client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  );
}

/** Day partitions the way the dedup consumer creates them, for days long past. */
export async function createDayPartitions(
  databaseUrl: string,
  dayStarts: readonly number[],
): Promise<void> {
  const db = kyselyOf(databaseUrl);
  try {
    await ensurePartitions(
      db,
      dayStarts.map((day) => dayPartition(day)),
    );
  } finally {
    await db.destroy();
  }
}

function kyselyOf(url: string): Kysely<unknown> {
  return new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 2 }) }),
  });
}

export async function withClient<T>(
  url: string,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Inserts `count` events of one pipeline spread over one UTC day, with the awkward values a CSV
 * round trip can get wrong: NULLs next to empty strings, commas, quotes, newlines, unicode, nested
 * JSON, NULL JSON.
 */
export async function seedDay(
  client: pg.ClientBase,
  pipeline: string,
  dayStartMs: number,
  count: number,
  users = 50,
): Promise<void> {
  await client.query(
    `INSERT INTO events (dedup_key, pipeline, event_id, type, source, user_id, anonymous_id, event_time,
       sent_at, received_at, ingestion_id, properties, context, schema_version, kafka_partition, kafka_offset)
     SELECT md5($1 || ':' || $2::text || ':' || g), $1,
            CASE WHEN g % 2 = 0 THEN 'evt-' || g END,
            (ARRAY['page_view', 'click', 'signup', 'purchase'])[1 + g % 4],
            CASE WHEN g % 9 = 0 THEN '' WHEN g % 9 = 1 THEN NULL ELSE 'web' END,
            CASE WHEN g % 5 <> 0 THEN 'user-' || (g * 7 % $4) END,
            CASE WHEN g % 7 = 0 THEN E'anon,"q"\\n' || g ELSE 'anon-' || (g % 97) END,
            CASE WHEN g % 13 = 0 THEN NULL ELSE received - interval '1.5 seconds' END,
            received - interval '1 second', received, 'ing-' || (g / 100),
            CASE WHEN g % 11 = 0 THEN NULL
                 ELSE jsonb_build_object('path', '/p/' || (g % 10), 'n', g)
                      || CASE WHEN g % 3 = 0 THEN jsonb_build_object('plan', 'pro', 'note', E'a "b", c\\nd ü')
                              ELSE '{}'::jsonb END END,
            jsonb_build_object('lib', jsonb_build_object('name', 'web', 'v', g % 4)),
            1, (g % 12)::int, (($2::bigint / 86400000) % 100000) * 10000000 + g
     FROM generate_series(1, $3::int) AS g,
          LATERAL (SELECT to_timestamp($2::bigint / 1000.0) + (g::bigint * (86399000 / $3::int)) * interval '1 millisecond' AS received) AS r`,
    [pipeline, dayStartMs, count, users],
  );
}

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** It was still running after `timeoutMs` and was killed. */
  readonly timedOut: boolean;
}

/** Runs the real CLI as a child process, as the CronJob does. */
export function runCli(args: readonly string[], env: Record<string, string>): Promise<CliRun> {
  return runNodeProgram(MAIN, args, env);
}

/** Runs a Node.js program as a child process; kills it (SIGKILL) if it outlives `timeoutMs`. */
export function runNodeProgram(
  path: string,
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs?: number,
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** The text of every column of an event, identical for a PostgreSQL row and a Parquet row. */
export const PG_ROW_TEXT = `dedup_key, event_id, type, source, user_id, anonymous_id,
  (extract(epoch FROM event_time) * 1000000)::bigint::text AS event_time,
  (extract(epoch FROM sent_at) * 1000000)::bigint::text AS sent_at,
  (extract(epoch FROM received_at) * 1000000)::bigint::text AS received_at,
  ingestion_id, properties::text AS properties, context::text AS context,
  schema_version::text AS schema_version, kafka_partition::text AS kafka_partition, kafka_offset::text AS kafka_offset`;

export const DUCK_ROW_TEXT = `dedup_key, event_id, type, source, user_id, anonymous_id,
  epoch_us(event_time)::VARCHAR AS event_time, epoch_us(sent_at)::VARCHAR AS sent_at,
  epoch_us(received_at)::VARCHAR AS received_at, ingestion_id,
  properties::VARCHAR AS properties, context::VARCHAR AS context,
  schema_version::VARCHAR AS schema_version, kafka_partition::VARCHAR AS kafka_partition,
  kafka_offset::VARCHAR AS kafka_offset`;
