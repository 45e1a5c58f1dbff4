import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { setting, uniqueName } from '../../../test/support/stack.ts';
import {
  DUCK_ROW_TEXT,
  PG_ROW_TEXT,
  createDayPartitions,
  createEventsDatabase,
  dropDatabase,
  runCli,
  seedDay,
  utcMidnight,
  withClient,
} from './support.ts';

const PIPELINE = 'clicks';
const OTHER = 'orders';
// HOT_RETENTION=3d: the cutoff is the midnight three days ago; every day before it is cold.
const COLD_OWN = [6, 5, 4].map((ago) => utcMidnight(ago));
const COLD_SHARED = utcMidnight(5); // also holds the other pipeline's rows
const COLD_DEFAULT = utcMidnight(30); // no partition of its own: in the default partition
const HOT = utcMidnight(1);

describe('archive job over several days', () => {
  let serverUrl: string;
  let databaseUrl: string;
  let archiveDir: string;
  const before_: Record<string, Record<string, string | null>[]> = {};

  before(async () => {
    serverUrl = await setting('DATABASE_URL');
    databaseUrl = await createEventsDatabase(serverUrl, uniqueName('archive'));
    archiveDir = await mkdtemp(join(tmpdir(), 'archive-'));
    await createDayPartitions(databaseUrl, [...COLD_OWN, HOT]);
    await withClient(databaseUrl, async (client) => {
      for (const day of COLD_OWN) await seedDay(client, PIPELINE, day, 2_000);
      await seedDay(client, OTHER, COLD_SHARED, 300);
      await seedDay(client, PIPELINE, COLD_DEFAULT, 500);
      await seedDay(client, PIPELINE, HOT, 700);
      for (const day of [...COLD_OWN, COLD_DEFAULT]) {
        const date = new Date(day).toISOString().slice(0, 10);
        const { rows } = await client.query<Record<string, string | null>>(
          `SELECT ${PG_ROW_TEXT} FROM events WHERE pipeline = $1 AND received_at >= $2 AND received_at < $3 ORDER BY dedup_key`,
          [PIPELINE, new Date(day), new Date(day + 86_400_000)],
        );
        before_[date] = rows;
      }
    });
  });
  after(async () => {
    await dropDatabase(serverUrl, databaseUrl);
    await rm(archiveDir, { recursive: true, force: true });
  });

  const env = (): Record<string, string> => ({
    DATABASE_URL: databaseUrl,
    PIPELINE_NAME: PIPELINE,
    ARCHIVE_DIR: archiveDir,
    HOT_RETENTION: '3d',
    METRICS_FILE: join(archiveDir, 'archiver.prom'),
  });

  it('moves every cold day to Parquet with the same rows and content, and keeps the hot window', async () => {
    const run = await runCli(['archive'], env());
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.match(run.stdout, /archived pipeline clicks: 4 day\(s\), 6500 rows/);

    const instance = await DuckDBInstance.create(':memory:');
    const duck = await instance.connect();
    try {
      for (const [date, expected] of Object.entries(before_)) {
        const folder = join(archiveDir, `pipeline=${PIPELINE}`, `date=${date}`);
        const parts = (await readdir(folder)).filter((name) => name.endsWith('.parquet'));
        assert.equal(parts.length, 1, `one part for ${date}`);
        const reader = await duck.runAndReadAll(
          `SELECT ${DUCK_ROW_TEXT} FROM read_parquet('${join(folder, '*.parquet')}') ORDER BY dedup_key`,
        );
        const rows = reader.getRowObjectsJson();
        assert.equal(rows.length, expected.length, `row count of ${date}`);
        assert.deepEqual(rows, expected, `content of ${date}`);
      }
    } finally {
      duck.closeSync();
      instance.closeSync();
    }

    await withClient(databaseUrl, async (client) => {
      const { rows } = await client.query<{ pipeline: string; day: string; n: string }>(
        `SELECT pipeline, to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*)::text AS n
         FROM events GROUP BY 1, 2 ORDER BY 1, 2`,
      );
      assert.deepEqual(rows, [
        { pipeline: PIPELINE, day: new Date(HOT).toISOString().slice(0, 10), n: '700' },
        { pipeline: OTHER, day: new Date(COLD_SHARED).toISOString().slice(0, 10), n: '300' },
      ]);
      const partitions = await client.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'events'::regclass ORDER BY 1`,
      );
      const names = partitions.rows.map((row) => row.name);
      const partitionOf = (day: number): string =>
        `events_p${new Date(day).toISOString().slice(0, 10).replaceAll('-', '')}`;
      assert.ok(
        !names.includes(partitionOf(utcMidnight(6))),
        'a cold day of this pipeline alone is dropped',
      );
      assert.ok(
        names.includes(partitionOf(COLD_SHARED)),
        "a day holding another pipeline's rows stays",
      );
      assert.ok(names.includes(partitionOf(HOT)), 'a day inside the retention is untouched');
      const keys = await client.query<{ n: string }>('SELECT count(*)::text AS n FROM event_keys');
      assert.ok(keys.rows[0] !== undefined);
    });

    const metrics = await (
      await import('node:fs/promises')
    ).readFile(join(archiveDir, 'archiver.prom'), 'utf8');
    assert.match(metrics, /eventpipeline_archive_rows_archived\{pipeline="clicks"\} 6500/);
    assert.match(metrics, /eventpipeline_archive_last_run_success\{pipeline="clicks"\} 1/);
  });

  it('opens the whole history from the catalog file', async () => {
    const instance = await DuckDBInstance.create(join(archiveDir, 'catalog.duckdb'), {
      access_mode: 'READ_ONLY',
    });
    const duck = await instance.connect();
    try {
      const reader = await duck.runAndReadAll(
        'SELECT pipeline, date::VARCHAR AS date, count(*)::INTEGER AS n FROM events GROUP BY ALL ORDER BY date',
      );
      assert.deepEqual(
        reader.getRowObjectsJson(),
        Object.entries(before_)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([date, rows]) => ({ pipeline: PIPELINE, date, n: rows.length })),
      );
    } finally {
      duck.closeSync();
      instance.closeSync();
    }
  });

  it('a second run finds nothing to do and leaves the files alone', async () => {
    const folder = join(
      archiveDir,
      `pipeline=${PIPELINE}`,
      `date=${new Date(COLD_DEFAULT).toISOString().slice(0, 10)}`,
    );
    const [part] = (await readdir(folder)).filter((name) => name.endsWith('.parquet'));
    assert.ok(part !== undefined);
    const mtime = (await stat(join(folder, part))).mtimeMs;
    const run = await runCli(['archive'], env());
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /nothing to archive for pipeline clicks/);
    assert.equal((await stat(join(folder, part))).mtimeMs, mtime);
  });

  it('a late event for an archived day goes to a new part, beside the committed one', async () => {
    const day = utcMidnight(6);
    const date = new Date(day).toISOString().slice(0, 10);
    // Lands in the default partition; same keys as archived rows but new Kafka positions.
    await withClient(databaseUrl, async (client) => {
      await seedDay(client, PIPELINE, day, 3);
      await client.query(
        'UPDATE events SET kafka_offset = kafka_offset + 1 WHERE received_at >= $1 AND received_at < $2',
        [new Date(day), new Date(day + 86_400_000)],
      );
    });
    const run = await runCli(['archive'], env());
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /1 day\(s\), 3 rows/);
    const parts = (await readdir(join(archiveDir, `pipeline=${PIPELINE}`, `date=${date}`))).filter(
      (name) => name.endsWith('.parquet'),
    );
    assert.equal(parts.length, 2);
  });

  it('exits 2 naming the variable when the configuration is wrong', async () => {
    const run = await runCli(['archive'], { ...env(), HOT_RETENTION: 'a week' });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /HOT_RETENTION/);
  });
});
