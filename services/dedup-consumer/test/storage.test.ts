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
      ['0001_events_and_keys'],
      'exactly one process applies the migration',
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
