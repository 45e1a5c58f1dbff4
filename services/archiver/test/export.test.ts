import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import pg from 'pg';
import { setting, uniqueName } from '../../../test/support/stack.ts';
import { exportDay } from '../src/archive/archive-day.ts';
import { findColdDays } from '../src/archive/hot-days.ts';
import type { ColdDay } from '../src/archive/hot-days.ts';
import { copyDayCsv, prepareSession } from '../src/archive/hot-store.ts';
import { parquetStats } from '../src/archive/parquet-files.ts';
import {
  DAY_MS,
  createDayPartitions,
  createEventsDatabase,
  dropDatabase,
  seedDay,
  utcMidnight,
} from './support.ts';

const PIPELINE = 'exports';
const DAY = utcMidnight(10);
const WIDE_DAY = utcMidnight(11);
const ROWS = 100_000;

/** A destination that fails once it has taken `limit` bytes, as a full disk would. */
function failingAfter(limit: number): Writable {
  let taken = 0;
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      taken += chunk.length;
      done(taken > limit ? Object.assign(new Error('no space left'), { code: 'ENOSPC' }) : null);
    },
  });
}

describe('exporting a day', () => {
  let serverUrl: string;
  let databaseUrl: string;
  let scratch: string;
  let client: pg.Client;
  let instance: DuckDBInstance;
  let duck: DuckDBConnection;
  let day: ColdDay;

  before(async () => {
    serverUrl = await setting('DATABASE_URL');
    databaseUrl = await createEventsDatabase(serverUrl, uniqueName('export'));
    scratch = await mkdtemp(join(tmpdir(), 'export-'));
    await createDayPartitions(databaseUrl, [DAY, WIDE_DAY]);
    client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    await seedDay(client, PIPELINE, DAY, ROWS);
    await prepareSession(client);
    const [cold] = (await findColdDays(client, PIPELINE, new Date(DAY + DAY_MS))).filter(
      (found) => found.from.getTime() === DAY,
    );
    assert.ok(cold !== undefined);
    day = cold;
    instance = await DuckDBInstance.create(':memory:', { threads: '2' });
    duck = await instance.connect();
  });
  after(async () => {
    duck.closeSync();
    instance.closeSync();
    await client.end();
    await dropDatabase(serverUrl, databaseUrl);
    await rm(scratch, { recursive: true, force: true });
  });

  const stillAnswers = async (): Promise<void> => {
    const answer = client.query<{ one: number }>('SELECT 1 AS one').then(({ rows }) => rows);
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(
        () => reject(new Error('the client hangs after the failed export')),
        10_000,
      ).unref(),
    );
    assert.deepEqual(await Promise.race([answer, timeout]), [{ one: 1 }]);
  };

  it('streams the day through DuckDB into a Parquet file with every row', async () => {
    const exported = await exportDay({ pg: client, duck, scratch, pipeline: PIPELINE }, day);
    assert.equal(exported.rows, ROWS);
    assert.equal((await parquetStats(duck, exported.tempPath)).rows, ROWS);
    await rm(exported.tempPath);
  });

  it('rejects with the destination error when it fails mid-COPY, and the client stays usable', async () => {
    await assert.rejects(copyDayCsv(client, PIPELINE, day, failingAfter(1_000_000)), {
      code: 'ENOSPC',
    });
    await stillAnswers();
  });

  it("rejects with DuckDB's error when DuckDB stops midway, and the client stays usable", async () => {
    const exporting = exportDay({ pg: client, duck, scratch, pipeline: PIPELINE }, day);
    setTimeout(() => duck.interrupt(), 150);
    await assert.rejects(exporting, /interrupt/i);
    await stillAnswers();
  });

  it('keeps rows with 1.4 MB CSV lines intact across the 4 MiB reader buffers', async () => {
    await seedDay(client, PIPELINE, WIDE_DAY, 2_000);
    // Four such lines, next to each other at the end of the export (an UPDATE moves a row to the
    // end of the table), span more than one buffer, so at least one line crosses a boundary. The
    // value's quotes are escaped in JSON and doubled in CSV: 700 kB of value, 1.4 MB of line.
    const wide = 'x"'.repeat(350_000);
    await client.query(
      `UPDATE events SET properties = jsonb_build_object('blob', $1::text)
       WHERE dedup_key IN (SELECT dedup_key FROM events
                           WHERE received_at >= $2 AND received_at < $3 ORDER BY dedup_key LIMIT 4)`,
      [wide, new Date(WIDE_DAY), new Date(WIDE_DAY + DAY_MS)],
    );
    const [wideDay] = (await findColdDays(client, PIPELINE, new Date(DAY))).filter(
      (cold) => cold.from.getTime() === WIDE_DAY,
    );
    assert.ok(wideDay !== undefined);
    const exported = await exportDay({ pg: client, duck, scratch, pipeline: PIPELINE }, wideDay);
    assert.equal(exported.rows, 2_000);
    const reader = await duck.runAndReadAll(
      `SELECT count(*)::INTEGER AS n FROM read_parquet('${exported.tempPath}') WHERE properties->>'blob' = '${wide}'`,
    );
    assert.deepEqual(reader.getRowObjectsJS(), [{ n: 4 }]);
    await rm(exported.tempPath);
  });

  it('exports again on the same client and connection after those failures', async () => {
    const exported = await exportDay({ pg: client, duck, scratch, pipeline: PIPELINE }, day);
    assert.equal(exported.rows, ROWS);
    await rm(exported.tempPath);
  });
});
