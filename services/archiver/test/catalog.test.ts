import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { createLogger } from '@event-pipeline/platform';
import { DERIVED_COLUMNS } from '../src/archive/columns.ts';
import { dayDir } from '../src/archive/hive-layout.ts';
import { refreshCatalog } from '../src/catalog/refresh-catalog.ts';
import { openArchiveReader } from '../src/query/archive-reader.ts';
import { createQueryService } from '../src/query/query-service.ts';

const logger = createLogger({ name: 'catalog-test', level: 'silent' });

/** `count` events of one day as the archive stores them (no derived columns). */
function eventsOf(date: string, count: number, seed: number): string {
  return `SELECT 'k-${seed}-' || i AS dedup_key, NULL::VARCHAR AS event_id, 'page_view' AS type,
      'web' AS source, CASE WHEN i % 3 = 0 THEN NULL ELSE 'u' || ((i * ${seed}) % 41) END AS user_id,
      CASE WHEN i % 7 = 0 THEN NULL ELSE 'a' || (i % 57) END AS anonymous_id,
      TIMESTAMPTZ '${date} 00:00:00+00' + to_seconds(i) AS event_time, NULL::TIMESTAMPTZ AS sent_at,
      TIMESTAMPTZ '${date} 00:00:00+00' + to_seconds(i) AS received_at, 'ing-' || i AS ingestion_id,
      json_object('n', i)::JSON AS properties, NULL::JSON AS context, 1 AS schema_version,
      0 AS kafka_partition, i::BIGINT AS kafka_offset
    FROM range(${count}) AS r(i)`;
}

async function writePart(
  duck: DuckDBConnection,
  path: string,
  select: string,
  derived: readonly string[],
): Promise<void> {
  const extra = DERIVED_COLUMNS.filter(([name]) => derived.includes(name))
    .map(([name, , expression]) => `, ${expression} AS ${name}`)
    .join('');
  await duck.run(`COPY (SELECT *${extra} FROM (${select})) TO '${path}' (FORMAT parquet)`);
}

describe('catalog over parts written before a derived column existed', () => {
  let dir: string;
  let duck: DuckDBConnection;
  let instance: DuckDBInstance;
  const days = { old: '2026-03-01', both: '2026-03-02', current: '2026-03-03' };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'catalog-test-'));
    instance = await DuckDBInstance.create(':memory:');
    duck = await instance.connect();
  });
  after(async () => {
    duck.closeSync();
    instance.closeSync();
    await rm(dir, { recursive: true, force: true });
  });

  const dau = async (): Promise<Record<string, number>> => {
    await refreshCatalog(dir, 'web');
    const reader = await openArchiveReader({ archiveDir: dir });
    try {
      const service = createQueryService(reader, { timeoutMs: 10_000, maxRows: 100 }, logger);
      const { rows } = await service.named('daily-active-users', {});
      return Object.fromEntries(rows.map((row) => [String(row.date), Number(row.users)]));
    } finally {
      reader.close();
    }
  };
  const expected = async (selects: readonly (readonly [string, string])[]) => {
    const union = selects.map(([date, sql]) => `SELECT '${date}' AS date, * FROM (${sql})`);
    const reader = await duck.runAndReadAll(
      `SELECT date, count(DISTINCT coalesce(user_id, anonymous_id))::INTEGER AS users
       FROM (${union.join(' UNION ALL ')}) GROUP BY date`,
    );
    return Object.fromEntries(
      reader.getRowObjectsJS().map((r) => [r.date as string, Number(r.users)]),
    );
  };

  it('opens an archive without parts as an empty view', async () => {
    assert.deepEqual(await dau(), {});
  });

  it('counts daily active users the same when no part has actor_hash', async () => {
    const old = eventsOf(days.old, 500, 3);
    await mkdir(dayDir(dir, 'web', days.old), { recursive: true });
    await writePart(duck, join(dayDir(dir, 'web', days.old), 'part-old.parquet'), old, [
      'property_keys',
    ]);
    const got = await dau();
    assert.deepEqual(got, await expected([[days.old, old]]));
    assert.ok((got[days.old] ?? 0) > 40, 'a test that counts something');
  });

  it('mixes old and new parts, also within one day, and counts each actor once', async () => {
    const late = eventsOf(days.both, 300, 5);
    const early = eventsOf(days.both, 400, 3);
    const current = eventsOf(days.current, 600, 11);
    await mkdir(dayDir(dir, 'web', days.both), { recursive: true });
    await mkdir(dayDir(dir, 'web', days.current), { recursive: true });
    await writePart(duck, join(dayDir(dir, 'web', days.both), 'part-early.parquet'), early, [
      'property_keys',
    ]);
    const all = DERIVED_COLUMNS.map(([name]) => name);
    await writePart(duck, join(dayDir(dir, 'web', days.both), 'part-late.parquet'), late, all);
    await writePart(duck, join(dayDir(dir, 'web', days.current), 'part-new.parquet'), current, all);
    assert.deepEqual(
      await dau(),
      await expected([
        [days.old, eventsOf(days.old, 500, 3)],
        [days.both, `${early} UNION ALL ${late}`],
        [days.current, current],
      ]),
    );
    // The stored column holds what the view computes for parts without it.
    const reader = await duck.runAndReadAll(
      `SELECT count(*)::INTEGER AS n FROM read_parquet('${join(dayDir(dir, 'web', days.current), 'part-new.parquet')}')
       WHERE actor_hash IS DISTINCT FROM ${DERIVED_COLUMNS[1][2]}`,
    );
    assert.equal(Number(reader.getRowObjectsJS()[0]?.n), 0);
  });
});
