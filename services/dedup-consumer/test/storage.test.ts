import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Database } from '../src/storage/database.ts';
import { eventually } from '../../../test/support/kubernetes.ts';
import { setting, uniqueName } from '../../../test/support/stack.ts';
import { createDatabase } from '../src/storage/database.ts';
import { expireKeys } from '../src/storage/expire-keys.ts';
import { listPartitions } from '../src/storage/ensure-partitions.ts';
import { dayPartition, dayStart } from '../src/storage/partition-days.ts';
import { runMigrations } from '../src/storage/run-migrations.ts';
import { storeEvents } from '../src/storage/store-events.ts';
import fc from 'fast-check';
import { clientEvent as anyClientEvent } from '../../../packages/platform/src/events/arbitraries.test-support.ts';
import { clientEvent, createDatabaseOn, query, storedEvent } from './support.ts';

const DAY = 86_400_000;

describe('PostgreSQL storage', () => {
  let url: string;
  let db: Kysely<Database>;
  const now = new Date();

  before(async () => {
    url = await createDatabaseOn(await setting('DATABASE_URL'), uniqueName('dedup_storage'));
    db = createDatabase({ connectionString: url });
  });
  after(async () => {
    await db.destroy();
  });

  it('survives PostgreSQL ending a session kysely has checked out, and reconnects', async () => {
    const errors: Error[] = [];
    const own = createDatabase({
      connectionString: url,
      maxConnections: 1,
      onConnectionError: (error) => errors.push(error),
    });
    try {
      await own
        .connection()
        .execute(async (conn) => {
          const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(conn);
          // From another session, as a restart or a failover would: the checked-out client is
          // idle, so pg reports the end of its session as an 'error' event, not a failed query.
          await query(url, 'SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
          await eventually(
            'the session end to be reported',
            () => Promise.resolve(errors.length > 0 ? true : undefined),
            10_000,
          );
        })
        .catch(() => undefined);
      assert.match(errors[0]?.message ?? '', /terminating connection/);
      const { rows } = await sql<{ one: number }>`SELECT 1 AS one`.execute(own);
      assert.deepEqual(rows, [{ one: 1 }], 'the pool opened a new session');
    } finally {
      await own.destroy();
    }
  });

  it('migrates idempotently when several processes run migrations at once (advisory lock)', async () => {
    const reports = await Promise.all(
      [1, 2, 3].map(async () => {
        const own = createDatabase({ connectionString: url, maxConnections: 2 });
        try {
          return await runMigrations(own, { now, windowMs: DAY });
        } finally {
          await own.destroy();
        }
      }),
    );
    assert.deepEqual(
      reports.flatMap((report) => report.applied),
      ['0001_events_and_keys', '0002_dedup_keys_in_c_collation'],
      'exactly one process applies the migrations',
    );
    const again = await runMigrations(db, { now, windowMs: DAY });
    assert.deepEqual(again.applied, []);
  });

  it('creates day partitions for the window and a few days ahead, plus a default partition', async () => {
    const partitions = await listPartitions(db);
    for (let day = dayStart(now) - DAY; day <= dayStart(now) + 3 * DAY; day += DAY) {
      assert.ok(partitions.includes(dayPartition(day).name), dayPartition(day).name);
    }
    assert.ok(partitions.includes('events_default'));
  });

  it('stores each key once: a second batch with overlapping keys writes only the new ones', async () => {
    const pipeline = uniqueName('p');
    const events = Array.from({ length: 10 }, (_, i) =>
      storedEvent(pipeline, clientEvent(i, i % 2 === 0)),
    );
    const records = events.map((event, i) => ({ event, partition: 0, offset: String(i) }));
    assert.deepEqual(await storeEvents(db, pipeline, records.slice(0, 6)), {
      stored: 6,
      duplicates: 0,
    });
    const resent = events.map((event, i) => ({
      event: storedEvent(pipeline, clientEvent(i, i % 2 === 0)),
      partition: 1,
      offset: String(100 + i),
    }));
    assert.equal(resent[0]?.event.dedupKey, events[0]?.dedupKey);
    assert.deepEqual(await storeEvents(db, pipeline, resent), { stored: 4, duplicates: 6 });
    const rows = await query<{ n: string; keys: string }>(
      url,
      'SELECT count(*) AS n, count(DISTINCT dedup_key) AS keys FROM events WHERE pipeline = $1',
      [pipeline],
    );
    assert.deepEqual(rows, [{ n: '10', keys: '10' }]);
    const [row] = await query<{ properties: unknown; type: string; received_at: Date }>(
      url,
      'SELECT properties, type, received_at FROM events WHERE pipeline = $1 AND dedup_key = $2',
      [pipeline, events[0]?.dedupKey],
    );
    assert.deepEqual(row?.properties, events[0]?.properties);
  });

  it('keeps the dedup keys in the "C" collation in a database whose default is a C-library locale', async () => {
    // C.utf8 is a C-library locale (PostgreSQL compares with strcoll), the kind a library
    // upgrade can reorder; Debian always has it, unlike en_US.UTF-8.
    const libcUrl = await createDatabaseOn(
      await setting('DATABASE_URL'),
      uniqueName('dedup_libc_locale'),
      'C.utf8',
    );
    const libc = createDatabase({ connectionString: libcUrl });
    try {
      await runMigrations(libc, { now, windowMs: DAY });
      const [database] = await query<{ datcollate: string }>(
        libcUrl,
        'SELECT datcollate FROM pg_database WHERE datname = current_database()',
      );
      assert.equal(database?.datcollate, 'C.utf8');
      const columns = await query<{ table_name: string; column_name: string; collation: string }>(
        libcUrl,
        `SELECT table_name, column_name, coalesce(collation_name, '(database default)') AS collation
         FROM information_schema.columns
         WHERE table_name IN ('event_keys', 'events') AND column_name IN ('pipeline', 'dedup_key')
         ORDER BY table_name, column_name`,
      );
      assert.deepEqual(
        columns.map((c) => `${c.table_name}.${c.column_name}: ${c.collation}`),
        [
          'event_keys.dedup_key: C',
          'event_keys.pipeline: C',
          'events.dedup_key: C',
          'events.pipeline: (database default)',
        ],
      );
      // The store statement joins keys of the two collations: it still stores each key once.
      const pipeline = uniqueName('p');
      const keys = ['Ärger-1', 'ärger-1', 'e\u0301-2', 'é-2', 'zebra-3', 'Zebra-3'];
      const records = (round: number) =>
        keys.map((id, i) => ({
          event: storedEvent(pipeline, { ...clientEvent(i, false), id }),
          partition: round,
          offset: String(i),
        }));
      assert.deepEqual(await storeEvents(libc, pipeline, records(0)), {
        stored: keys.length,
        duplicates: 0,
      });
      assert.deepEqual(await storeEvents(libc, pipeline, records(1)), {
        stored: 0,
        duplicates: keys.length,
      });
      const stored = await query<{ dedup_key: string }>(
        libcUrl,
        'SELECT dedup_key FROM events WHERE pipeline = $1 ORDER BY dedup_key',
        [pipeline],
      );
      // All there, in byte order ("C"): upper case before lower, a combining accent after its letter.
      assert.deepEqual(
        stored.map((row) => row.dedup_key),
        [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
      );
    } finally {
      await libc.destroy();
    }
  });

  it('stores every field as the event had it: any Unicode text, nested JSON, absent fields NULL', async () => {
    const instant = (value: Date | null) => (value === null ? undefined : value.getTime());
    await fc.assert(
      fc.asyncProperty(fc.array(anyClientEvent, { minLength: 1, maxLength: 6 }), async (events) => {
        const pipeline = uniqueName('fields');
        const stored = events.map((event) => storedEvent(pipeline, event));
        const unique = [...new Map(stored.map((event) => [event.dedupKey, event])).values()];
        const records = unique.map((event, i) => ({ event, partition: 3, offset: String(i) }));
        await storeEvents(db, pipeline, records);
        const rows = await query<Record<string, unknown>>(
          url,
          `SELECT dedup_key, event_id, type, source, user_id, anonymous_id, event_time, sent_at,
                  received_at, ingestion_id, properties, context, schema_version, kafka_partition,
                  kafka_offset FROM events WHERE pipeline = $1 ORDER BY kafka_offset`,
          [pipeline],
        );
        assert.equal(rows.length, records.length);
        // SQL NULL, not the JSON value null (which the driver would also hand back as null).
        const [nulls] = await query<{ properties: string; context: string }>(
          url,
          `SELECT count(*) FILTER (WHERE properties IS NULL)::text AS properties,
                  count(*) FILTER (WHERE context IS NULL)::text AS context
           FROM events WHERE pipeline = $1`,
          [pipeline],
        );
        assert.deepEqual(nulls, {
          properties: String(unique.filter((e) => e.properties === undefined).length),
          context: String(unique.filter((e) => e.context === undefined).length),
        });
        rows.forEach((row, i) => {
          const event = records[i]?.event;
          assert.ok(event !== undefined);
          assert.deepEqual(
            {
              ...row,
              event_time: instant(row.event_time as Date | null),
              sent_at: instant(row.sent_at as Date | null),
              received_at: instant(row.received_at as Date | null),
            },
            {
              dedup_key: event.dedupKey,
              event_id: event.id ?? null,
              type: event.type,
              source: event.source ?? null,
              user_id: event.userId ?? null,
              anonymous_id: event.anonymousId ?? null,
              event_time: event.timestamp === undefined ? undefined : Date.parse(event.timestamp),
              sent_at: event.sentAt === undefined ? undefined : Date.parse(event.sentAt),
              received_at: Date.parse(event.receivedAt),
              ingestion_id: event.ingestionId,
              properties: event.properties ?? null,
              context: event.context ?? null,
              schema_version: event.schemaVersion,
              kafka_partition: 3,
              kafka_offset: String(i),
            },
          );
        });
      }),
      { numRuns: 40 },
    );
  });

  it('puts a row whose day has no partition into the default partition instead of refusing it', async () => {
    const pipeline = uniqueName('p');
    const old = storedEvent(pipeline, clientEvent(1, true), new Date('2001-02-03T04:05:06Z'));
    assert.deepEqual(await storeEvents(db, pipeline, [{ event: old, partition: 0, offset: '1' }]), {
      stored: 1,
      duplicates: 0,
    });
    const rows = await query<{ part: string }>(
      url,
      'SELECT tableoid::regclass::text AS part FROM events WHERE pipeline = $1',
      [pipeline],
    );
    assert.deepEqual(rows, [{ part: 'events_default' }]);
  });

  it('expires keys older than the window, so only they can be stored again', async () => {
    const pipeline = uniqueName('p');
    const event = storedEvent(pipeline, clientEvent(7, true));
    await storeEvents(db, pipeline, [{ event, partition: 0, offset: '0' }]);
    assert.equal(await expireKeys(db, { pipeline, windowMs: DAY, now: new Date() }), 0);
    assert.equal(
      await expireKeys(db, {
        pipeline,
        windowMs: DAY,
        now: new Date(Date.now() + 2 * DAY),
        chunk: 1,
      }),
      1,
    );
    assert.deepEqual(await storeEvents(db, pipeline, [{ event, partition: 0, offset: '1' }]), {
      stored: 1,
      duplicates: 0,
    });
  });
});
