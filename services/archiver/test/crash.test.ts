import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { setting, uniqueName } from '../../../test/support/stack.ts';
import {
  createDayPartitions,
  createEventsDatabase,
  dropDatabase,
  runCli,
  runNodeProgram,
  seedDay,
  utcMidnight,
  withClient,
} from './support.ts';

const PIPELINE = 'signups';
const COLD = [9, 8, 7].map((ago) => utcMidnight(ago));
const HOT = utcMidnight(0);
const ROWS_PER_DAY = 1_500;
const FAIL_MID_RUN = fileURLToPath(new URL('./fail-mid-run.ts', import.meta.url));

interface Tiers {
  readonly hot: Map<string, number>;
  readonly archived: Map<string, number>;
}

/** Every dedup key and how many times each tier holds it. */
async function tiers(databaseUrl: string, archiveDir: string): Promise<Tiers> {
  const hot = new Map<string, number>();
  await withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{ k: string }>('SELECT dedup_key AS k FROM events');
    for (const { k } of rows) hot.set(k, (hot.get(k) ?? 0) + 1);
  });
  const archived = new Map<string, number>();
  const instance = await DuckDBInstance.create(':memory:');
  const duck = await instance.connect();
  try {
    const files = await duck.runAndReadAll(
      `SELECT count(*)::INTEGER AS n FROM glob('${join(archiveDir, 'pipeline=*', 'date=*', '*.parquet')}')`,
    );
    if (Number(files.getRowObjectsJS()[0]?.n) > 0) {
      const reader = await duck.runAndReadAll(
        `SELECT dedup_key AS k FROM read_parquet('${join(archiveDir, 'pipeline=*', 'date=*', '*.parquet')}')`,
      );
      for (const row of reader.getRowObjectsJS()) {
        const key = row.k as string;
        archived.set(key, (archived.get(key) ?? 0) + 1);
      }
    }
  } finally {
    duck.closeSync();
    instance.closeSync();
  }
  return { hot, archived };
}

async function seededDatabase(
  serverUrl: string,
  name: string,
  rowsPerDay = ROWS_PER_DAY,
): Promise<{ url: string; keys: Set<string> }> {
  const url = await createEventsDatabase(serverUrl, uniqueName(name));
  await createDayPartitions(url, COLD);
  const keys = new Set<string>();
  await withClient(url, async (client) => {
    for (const day of [...COLD, HOT]) await seedDay(client, PIPELINE, day, rowsPerDay);
    const { rows } = await client.query<{ k: string }>('SELECT dedup_key AS k FROM events');
    for (const { k } of rows) keys.add(k);
  });
  return { url, keys };
}

function envFor(databaseUrl: string, archiveDir: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    PIPELINE_NAME: PIPELINE,
    ARCHIVE_DIR: archiveDir,
    HOT_RETENTION: '2d',
  };
}

describe('archive job crash safety', () => {
  let serverUrl: string;
  const cleanups: (() => Promise<void>)[] = [];
  before(async () => {
    serverUrl = await setting('DATABASE_URL');
  });
  after(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  for (const point of ['after-write', 'after-verify', 'after-delete'] as const) {
    it(`killed ${point}, then rerun: every event in exactly one tier`, async () => {
      const { url, keys } = await seededDatabase(serverUrl, `crash_${point.replace('-', '_')}`);
      const archiveDir = await mkdtemp(join(tmpdir(), 'archive-crash-'));
      cleanups.push(async () => {
        await dropDatabase(serverUrl, url);
        await rm(archiveDir, { recursive: true, force: true });
      });

      const crashed = await runCli(['archive'], {
        ...envFor(url, archiveDir),
        ARCHIVER_CRASH_AT: point,
      });
      assert.equal(
        crashed.signal,
        'SIGKILL',
        `the hook killed the job: ${crashed.stderr}${crashed.stdout}`,
      );
      const mid = await tiers(url, archiveDir);
      for (const key of keys) {
        assert.ok(
          (mid.hot.get(key) ?? 0) + (mid.archived.get(key) ?? 0) >= 1,
          `no event lost at ${point}`,
        );
      }
      assert.ok(
        [...mid.hot.keys()].every((key) => mid.hot.get(key) === 1),
        'PostgreSQL never holds a key twice',
      );

      const rerun = await runCli(['archive'], envFor(url, archiveDir));
      assert.equal(rerun.code, 0, rerun.stderr + rerun.stdout);
      const end = await tiers(url, archiveDir);
      const problems: string[] = [];
      for (const key of keys) {
        const count = (end.hot.get(key) ?? 0) + (end.archived.get(key) ?? 0);
        if (count !== 1) problems.push(`${key}: ${count}`);
      }
      assert.deepEqual(problems.slice(0, 5), [], `${problems.length} keys not in exactly one tier`);
      assert.equal(end.archived.size, COLD.length * ROWS_PER_DAY);
      assert.equal(end.hot.size, ROWS_PER_DAY);
      assert.equal(end.archived.size + end.hot.size, keys.size);
    });
  }

  it('two runs at once: one archives, the other exits 0 with the lock message', async () => {
    const { url, keys } = await seededDatabase(serverUrl, 'crash_concurrent', 40_000);
    const archiveDir = await mkdtemp(join(tmpdir(), 'archive-lock-'));
    cleanups.push(async () => {
      await dropDatabase(serverUrl, url);
      await rm(archiveDir, { recursive: true, force: true });
    });
    // Deterministic: while another session holds the pipeline's lock, a run does nothing.
    await withClient(url, async (holder) => {
      await holder.query(
        "SELECT pg_advisory_lock(hashtext('eventpipeline-archiver'), hashtext($1))",
        [PIPELINE],
      );
      const blocked = await runCli(['archive'], envFor(url, archiveDir));
      assert.equal(blocked.code, 0, blocked.stderr);
      assert.match(blocked.stdout, /another archive run holds the lock for pipeline signups/);
      const { rows } = await holder.query<{ n: string }>('SELECT count(*)::text AS n FROM events');
      assert.equal(Number(rows[0]?.n), keys.size, 'nothing moved while the lock was held');
    });
    // Two real processes started together; with 40k rows a day the first holds the lock for seconds.
    const [a, b] = await Promise.all([
      runCli(['archive'], envFor(url, archiveDir)),
      runCli(['archive'], envFor(url, archiveDir)),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const outputs = [a.stdout, b.stdout];
    assert.equal(
      outputs.filter((out) => out.includes('archived pipeline signups: 3 day(s)')).length,
      1,
      outputs.join('\n'),
    );
    assert.equal(
      outputs.filter((out) => out.includes('another archive run holds the lock')).length,
      1,
      outputs.join('\n'),
    );
    const end = await tiers(url, archiveDir);
    for (const key of keys) assert.equal((end.hot.get(key) ?? 0) + (end.archived.get(key) ?? 0), 1);
  });

  it('a failure while the next day exports: the run rejects with it, a rerun puts every event in one tier', async () => {
    // Days big enough that the second day's export (COPY into DuckDB), started once the first day
    // is verified, is still running when the first day fails after its delete.
    const rows = 60_000;
    const { url, keys } = await seededDatabase(serverUrl, 'fail_mid_export', rows);
    const archiveDir = await mkdtemp(join(tmpdir(), 'archive-fail-'));
    cleanups.push(async () => {
      await dropDatabase(serverUrl, url);
      await rm(archiveDir, { recursive: true, force: true });
    });
    const failed = await runNodeProgram(FAIL_MID_RUN, [], envFor(url, archiveDir), 60_000);
    assert.equal(
      failed.timedOut,
      false,
      `the failed run's process exits by itself: ${failed.stdout}`,
    );
    assert.equal(failed.code, 0, failed.stderr + failed.stdout);
    const rerun = await runCli(['archive'], envFor(url, archiveDir));
    assert.equal(rerun.code, 0, rerun.stderr + rerun.stdout);
    const end = await tiers(url, archiveDir);
    const problems = [...keys].filter(
      (key) => (end.hot.get(key) ?? 0) + (end.archived.get(key) ?? 0) !== 1,
    );
    assert.deepEqual(problems.slice(0, 5), [], `${problems.length} keys not in exactly one tier`);
    assert.equal(end.archived.size, COLD.length * rows);
  });

  it('runs of two pipelines sharing the database and the volume at once both complete', async () => {
    const url = await createEventsDatabase(serverUrl, uniqueName('two_pipelines'));
    const archiveDir = await mkdtemp(join(tmpdir(), 'archive-two-'));
    cleanups.push(async () => {
      await dropDatabase(serverUrl, url);
      await rm(archiveDir, { recursive: true, force: true });
    });
    await createDayPartitions(url, COLD);
    const other = 'payments';
    await withClient(url, async (client) => {
      for (const day of COLD) {
        await seedDay(client, PIPELINE, day, 4_000);
        await seedDay(client, other, day, 3_000);
      }
    });
    const [a, b] = await Promise.all([
      runCli(['archive'], envFor(url, archiveDir)),
      runCli(['archive'], { ...envFor(url, archiveDir), PIPELINE_NAME: other }),
    ]);
    assert.equal(a.code, 0, a.stderr + a.stdout);
    assert.equal(b.code, 0, b.stderr + b.stdout);
    assert.match(a.stdout, /archived pipeline signups: 3 day\(s\), 12000 rows/);
    assert.match(b.stdout, /archived pipeline payments: 3 day\(s\), 9000 rows/);
    await withClient(url, async (client) => {
      const { rows } = await client.query<{ n: string }>('SELECT count(*)::text AS n FROM events');
      assert.equal(rows[0]?.n, '0');
    });
    const instance = await DuckDBInstance.create(join(archiveDir, 'catalog.duckdb'), {
      access_mode: 'READ_ONLY',
    });
    const duck = await instance.connect();
    try {
      const reader = await duck.runAndReadAll(
        'SELECT pipeline, count(*)::INTEGER AS n, count(DISTINCT dedup_key)::INTEGER AS keys FROM events GROUP BY ALL ORDER BY pipeline',
      );
      assert.deepEqual(reader.getRowObjectsJson(), [
        { pipeline: other, n: 9_000, keys: 9_000 },
        { pipeline: PIPELINE, n: 12_000, keys: 12_000 },
      ]);
    } finally {
      duck.closeSync();
      instance.closeSync();
    }
  });
});
