import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLogger, createMetrics } from '@event-pipeline/platform';
import { setting, uniqueName } from '../../../test/support/stack.ts';
import { openArchiveReader } from '../src/query/archive-reader.ts';
import type { ArchiveReader } from '../src/query/archive-reader.ts';
import { createQueryServer } from '../src/query/http-server.ts';
import type { QueryServer } from '../src/query/http-server.ts';
import { createQueryService } from '../src/query/query-service.ts';
import type { QueryService } from '../src/query/query-service.ts';
import { QueryRejectedError, QueryTimeoutError, runQuery } from '../src/query/run-query.ts';
import {
  createDayPartitions,
  createEventsDatabase,
  dropDatabase,
  runCli,
  seedDay,
  utcMidnight,
  withClient,
} from './support.ts';

const PIPELINE = 'web';
const DAYS = [5, 4, 3, 2].map((ago) => utcMidnight(ago));
const logger = createLogger({ name: 'query-test', level: 'silent' });
const LIMITS = { timeoutMs: 10_000, maxRows: 1_000 };

/** The same questions asked of PostgreSQL, before the rows leave it. */
const PG_EQUIVALENTS = {
  'events-per-type-per-day': `SELECT to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS date, type, count(*)::text AS events
    FROM events GROUP BY 1, 2 ORDER BY 1, 2`,
  'daily-active-users': `SELECT to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS date,
    count(DISTINCT coalesce(user_id, anonymous_id))::text AS users FROM events GROUP BY 1 ORDER BY 1`,
  'top-properties': `SELECT key, count(*)::text AS events FROM events, jsonb_object_keys(properties) AS key
    GROUP BY key ORDER BY count(*) DESC, key LIMIT 20`,
  funnel: `WITH first_step AS (
      SELECT coalesce(user_id, anonymous_id) AS actor, min(received_at) AS at FROM events
      WHERE type = 'signup' AND coalesce(user_id, anonymous_id) IS NOT NULL GROUP BY 1),
    second_step AS (
      SELECT DISTINCT f.actor FROM first_step f JOIN events e ON coalesce(e.user_id, e.anonymous_id) = f.actor
      WHERE e.type = 'purchase' AND e.received_at > f.at AND e.received_at <= f.at + interval '6 hours')
    SELECT (SELECT count(*) FROM first_step)::text AS first_users, (SELECT count(*) FROM second_step)::text AS converted_users`,
} as const;

const NAMED_PARAMS: Record<keyof typeof PG_EQUIVALENTS, Record<string, string>> = {
  'events-per-type-per-day': {},
  'daily-active-users': {},
  'top-properties': {},
  funnel: { first: 'signup', then: 'purchase', within: String(6 * 3600) },
};

/** Every value as text, so PostgreSQL's and DuckDB's number and date types compare. */
function asText(rows: readonly Record<string, unknown>[]): Record<string, string>[] {
  return rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([key, value]) => [key, String(value as string | number)]),
    ),
  );
}

describe('queries over the archive', () => {
  let serverUrl: string;
  let databaseUrl: string;
  let archiveDir: string;
  let reader: ArchiveReader;
  let service: QueryService;
  const expected: Record<string, Record<string, string>[]> = {};

  before(async () => {
    serverUrl = await setting('DATABASE_URL');
    databaseUrl = await createEventsDatabase(serverUrl, uniqueName('query'));
    archiveDir = await mkdtemp(join(tmpdir(), 'archive-query-'));
    await createDayPartitions(databaseUrl, DAYS);
    await withClient(databaseUrl, async (client) => {
      for (const [i, day] of DAYS.entries())
        await seedDay(client, PIPELINE, day, 3_000 + i * 500, 400);
      for (const [name, sql] of Object.entries(PG_EQUIVALENTS)) {
        expected[name] = asText((await client.query<Record<string, unknown>>(sql)).rows);
      }
    });
    const run = await runCli(['archive'], {
      DATABASE_URL: databaseUrl,
      PIPELINE_NAME: PIPELINE,
      ARCHIVE_DIR: archiveDir,
      HOT_RETENTION: '1d',
    });
    assert.equal(run.code, 0, run.stderr + run.stdout);
    await withClient(databaseUrl, async (client) => {
      const { rows } = await client.query<{ n: string }>('SELECT count(*)::text AS n FROM events');
      assert.equal(rows[0]?.n, '0', 'every seeded day was archived');
    });
    reader = await openArchiveReader({ archiveDir });
    service = createQueryService(reader, LIMITS, logger);
  });
  after(async () => {
    reader.close();
    await dropDatabase(serverUrl, databaseUrl);
    await rm(archiveDir, { recursive: true, force: true });
  });

  for (const name of Object.keys(PG_EQUIVALENTS) as (keyof typeof PG_EQUIVALENTS)[]) {
    it(`named query ${name} over the archive equals the same query over PostgreSQL before archiving`, async () => {
      const result = await service.named(name, NAMED_PARAMS[name]);
      assert.ok(result.rows.length > 0);
      assert.deepEqual(asText(result.rows), expected[name]);
    });
  }

  it('the funnel counts only conversions inside the window', async () => {
    const wide = await service.named('funnel', {
      first: 'signup',
      then: 'purchase',
      within: String(6 * 3600),
    });
    const narrow = await service.named('funnel', {
      first: 'signup',
      then: 'purchase',
      within: '60',
    });
    assert.ok(Number(narrow.rows[0]?.converted_users) < Number(wide.rows[0]?.converted_users));
  });

  it('runs ad-hoc SELECT and WITH statements', async () => {
    const result = await service.sql(
      'WITH t AS (SELECT type FROM events WHERE date = (SELECT min(date) FROM events)) SELECT count(*) AS n FROM t',
    );
    assert.deepEqual(asText(result.rows), [{ n: '3000' }]);
  });

  it('accepts the read-only shorthands DESCRIBE, SUMMARIZE and FROM-first, and JSON operators', async () => {
    const described = await service.sql('DESCRIBE events');
    assert.ok(described.rows.some((row) => row.column_name === 'properties'));
    const summarized = await service.sql('SUMMARIZE SELECT type FROM events');
    assert.equal(summarized.rows.length, 1);
    const fromFirst = await service.sql(
      "FROM events SELECT count(*)::INTEGER AS n WHERE properties->>'plan' = 'pro'",
    );
    assert.ok(Number(fromFirst.rows[0]?.n) > 0);
  });

  const refused: [string, RegExp][] = [
    ["INSERT INTO events (type) VALUES ('x')", /only SELECT .* got a INSERT statement/],
    ['CREATE TABLE t AS SELECT 1', /got a CREATE statement/],
    ['DROP VIEW events', /got a DROP statement/],
    ["COPY (SELECT 1) TO '/tmp/out.csv'", /got a COPY statement/],
    ["ATTACH '/tmp/other.duckdb'", /got a ATTACH statement/],
    ['SET enable_external_access = true', /got a (SET|VARIABLE_SET) statement/],
    ['INSTALL httpfs', /got a INSTALL statement/],
    ['SELECT 1; DROP VIEW events', /exactly one statement \(got 2\)/],
    ["SELECT * FROM read_csv('/etc/passwd')", /Permission Error.*disabled by configuration/],
    ["SELECT * FROM read_text('/etc/hostname')", /Permission Error/],
    ['PRAGMA database_list', /got a PRAGMA statement/],
    ['-- a comment first\nEXPLAIN ANALYZE SELECT 1', /got a EXPLAIN statement/],
  ];
  for (const [sql, message] of refused) {
    it(`refuses: ${sql}`, async () => {
      await assert.rejects(service.sql(sql), (error: unknown) => {
        assert.ok(error instanceof QueryRejectedError, String(error));
        assert.match(error.message, message);
        return true;
      });
    });
  }

  it('bad SQL gets an error naming the problem', async () => {
    await assert.rejects(service.sql('SELEC type FROM events'), /syntax error at or near "SELEC"/);
    await assert.rejects(
      service.sql('SELECT nope FROM events'),
      /Referenced column "nope" not found/,
    );
    await assert.rejects(
      service.named('funnel', { first: 'signup' }),
      /bad parameters for funnel: then/,
    );
  });

  it('stops a query at its timeout', async () => {
    await assert.rejects(
      runQuery(
        reader,
        'SELECT count(*) FROM range(100000000) a, range(100000) b WHERE a.range * b.range % 7 = 3',
        { timeoutMs: 300, maxRows: 10 },
      ),
      (error: unknown) =>
        error instanceof QueryTimeoutError && error.message.includes('longer than 300 ms'),
    );
  });

  it('returns at most maxRows and says it truncated', async () => {
    const result = await runQuery(reader, 'SELECT dedup_key FROM events', {
      timeoutMs: 10_000,
      maxRows: 25,
    });
    assert.equal(result.rows.length, 25);
    assert.equal(result.truncated, true);
    const all = await runQuery(reader, 'SELECT DISTINCT type FROM events', {
      timeoutMs: 10_000,
      maxRows: 25,
    });
    assert.equal(all.truncated, false);
  });

  describe('HTTP endpoint', () => {
    let server: QueryServer;
    let base: string;
    before(async () => {
      server = createQueryServer({
        service,
        logger,
        port: 0,
        host: '127.0.0.1',
        metrics: createMetrics({ pipeline: PIPELINE }).registry,
      });
      await server.start();
      base = `http://127.0.0.1:${server.port}`;
    });
    after(() => server.stop());

    it('lists and runs named queries', async () => {
      const list = (await (await fetch(`${base}/queries`)).json()) as {
        queries: { name: string }[];
      };
      assert.deepEqual(
        list.queries.map((query) => query.name),
        ['events-per-type-per-day', 'daily-active-users', 'top-properties', 'funnel'],
      );
      const res = await fetch(`${base}/queries/daily-active-users`);
      assert.equal(res.status, 200);
      const body = (await res.json()) as { rows: Record<string, unknown>[] };
      assert.deepEqual(asText(body.rows), expected['daily-active-users']);
    });

    it('runs SELECT and refuses writes, bad SQL and unknown queries with clear errors', async () => {
      const ok = await fetch(`${base}/query`, {
        method: 'POST',
        body: JSON.stringify({ sql: 'SELECT count(*)::INTEGER AS n FROM events' }),
      });
      assert.equal(ok.status, 200);
      assert.deepEqual(((await ok.json()) as { rows: unknown[] }).rows, [
        { n: 3000 + 3500 + 4000 + 4500 },
      ]);
      const write = await fetch(`${base}/query?sql=${encodeURIComponent('DELETE FROM events')}`);
      assert.equal(write.status, 400);
      assert.match(((await write.json()) as { error: string }).error, /got a DELETE statement/);
      const bad = await fetch(`${base}/query`, {
        method: 'POST',
        body: '{"sql": "SELECT FROM WHERE"}',
      });
      assert.equal(bad.status, 400);
      assert.match(((await bad.json()) as { error: string }).error, /syntax error/);
      const unknown = await fetch(`${base}/queries/nope`);
      assert.equal(unknown.status, 404);
      const metrics = await fetch(`${base}/metrics`);
      assert.match(
        await metrics.text(),
        /eventpipeline_process_cpu_seconds_total\{pipeline="web"\}/,
      );
    });
  });

  it('the CLI prints a table, and names the columns when there is no row', async () => {
    const table = await runCli(['query', 'SELECT type, count(*) AS n FROM events GROUP BY type'], {
      ARCHIVE_DIR: archiveDir,
    });
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /│ type +│ n +│/);
    assert.match(table.stderr, /^\d+ row\(s\) in \d+ ms/m);
    const empty = await runCli(['query', 'SELECT type, user_id FROM events WHERE false'], {
      ARCHIVE_DIR: archiveDir,
    });
    assert.equal(empty.code, 0, empty.stderr);
    assert.equal(empty.stdout, '(no rows; columns: type, user_id)\n');
    assert.match(empty.stderr, /^0 row\(s\) in \d+ ms/m);
  });

  it('the CLI prints a named query as JSON', async () => {
    const run = await runCli(['query', '--named', 'daily-active-users', '--json'], {
      ARCHIVE_DIR: archiveDir,
    });
    assert.equal(run.code, 0, run.stderr);
    const body = JSON.parse(run.stdout) as { rows: Record<string, unknown>[] };
    assert.deepEqual(asText(body.rows), expected['daily-active-users']);
    const refusedRun = await runCli(['query', 'DROP VIEW events'], { ARCHIVE_DIR: archiveDir });
    assert.equal(refusedRun.code, 1);
    assert.match(refusedRun.stderr, /query failed: only SELECT/);
  });
});
