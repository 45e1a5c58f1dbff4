import type { Readable, Writable } from 'node:stream';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { COLUMN_NAMES, pgChecksum, sameStats } from './columns.ts';
import type { DayStats } from './columns.ts';
import type { ColdDay } from './hot-days.ts';
import { quoteIdent } from './hot-days.ts';
import type { DayRange } from './day-range.ts';

/** The day's rows of one pipeline, as a WHERE clause with literals (COPY takes no parameters). */
function dayFilter(client: pg.ClientBase, pipeline: string, day: DayRange): string {
  return `pipeline = ${client.escapeLiteral(pipeline)}
    AND received_at >= ${client.escapeLiteral(day.from.toISOString())}::timestamptz
    AND received_at < ${client.escapeLiteral(day.to.toISOString())}::timestamptz`;
}

/** Session settings the CSV export depends on: timestamps in UTC, ISO format. */
export async function prepareSession(client: pg.ClientBase): Promise<void> {
  await client.query(
    `SET TimeZone TO 'UTC'; SET DateStyle TO 'ISO, YMD'; SET statement_timeout TO 0`,
  );
}

/**
 * Streams one day of one pipeline as CSV (one COPY statement: one snapshot) into `destination`.
 * Reads the partition itself, not the parent table, so the export holds no lock on `events`
 * (which would hold up the DETACH of the previous day). Resolves with the number of rows sent.
 */
export async function copyDayCsv(
  client: pg.ClientBase,
  pipeline: string,
  day: ColdDay,
  destination: Writable,
): Promise<number> {
  const copy = client.query(
    copyTo(
      `COPY (SELECT ${COLUMN_NAMES.join(', ')} FROM ${quoteIdent(day.partition)} WHERE ${dayFilter(client, pipeline, day)})
       TO STDOUT WITH (FORMAT csv)`,
    ),
  );
  await pipeDraining(copy, destination);
  return copy.rowCount;
}

/**
 * Pipes a COPY into `destination`, and when the destination fails (a full disk, a reader gone)
 * reads the rest of the COPY and drops it before rejecting with that failure. Destroying the
 * COPY stream instead would leave the client's connection paused mid-protocol, and every later
 * query on it would hang, the release of the job's lock among them.
 */
function pipeDraining(copy: Readable, destination: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    copy.once('error', (error) => {
      destination.destroy();
      reject(error);
    });
    let failed = false;
    destination.on('error', (error) => {
      if (failed) return;
      failed = true;
      copy.unpipe(destination);
      if (copy.readableEnded) {
        reject(error);
        return;
      }
      copy.once('end', () => reject(error));
      copy.resume();
    });
    destination.once('finish', resolve);
    copy.pipe(destination);
  });
}

export type RemoveOutcome =
  | { readonly kind: 'emptied-partition' | 'deleted-rows'; readonly rows: number }
  | { readonly kind: 'changed'; readonly now: DayStats };

/**
 * In one transaction: lock the day's partition against writers, re-check that PostgreSQL still
 * holds exactly the rows the verified file holds (count and checksum), then remove them: TRUNCATE
 * the partition when it is the day's own and holds nothing else, else DELETE the rows. Only the
 * partition is locked, never the parent table, so consumers writing other days never wait. When
 * the rows changed since the export (a late event), nothing is removed.
 */
export async function removeDay(
  client: pg.ClientBase,
  pipeline: string,
  day: ColdDay,
  expected: DayStats,
  lockTimeoutMs: number,
): Promise<RemoveOutcome> {
  const partition = quoteIdent(day.partition);
  const filter = dayFilter(client, pipeline, day);
  await client.query('BEGIN');
  try {
    await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(lockTimeoutMs))}`);
    await client.query(
      `LOCK TABLE ${partition} IN ${day.ownPartition ? 'ACCESS EXCLUSIVE' : 'SHARE ROW EXCLUSIVE'} MODE`,
    );
    // One scan: this pipeline's count and checksum of the day, and the partition's total.
    const { rows } = await client.query<{ rows: string; checksum: string; total: string }>(
      `SELECT count(*) FILTER (WHERE ${filter})::text AS rows, ${pgChecksum(filter)} AS checksum,
              count(*)::text AS total
       FROM ${partition} ${day.ownPartition ? '' : `WHERE ${filter}`}`,
    );
    const [row] = rows;
    if (row === undefined) throw new Error('count query returned no row');
    const now: DayStats = { rows: Number(row.rows), checksum: row.checksum };
    if (!sameStats(now, expected)) {
      await client.query('ROLLBACK');
      return { kind: 'changed', now };
    }
    const emptied = day.ownPartition && Number(row.total) === expected.rows;
    if (emptied) {
      await client.query(`TRUNCATE ${partition}`);
    } else if (expected.rows > 0) {
      await client.query(`DELETE FROM ${partition} WHERE ${filter}`);
    }
    await client.query('COMMIT');
    return { kind: emptied ? 'emptied-partition' : 'deleted-rows', rows: expected.rows };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * DETACH + DROP a day's own partition if it is empty. DETACH locks the parent table, so this waits
 * at most `lockTimeoutMs` (consumers' inserts queue behind it meanwhile) and otherwise gives up:
 * an empty partition is harmless and the next run tries again. Returns whether it was dropped.
 */
export async function dropEmptyPartition(
  client: pg.ClientBase,
  day: ColdDay,
  lockTimeoutMs: number,
): Promise<boolean> {
  if (!day.ownPartition) return false;
  const partition = quoteIdent(day.partition);
  await client.query('BEGIN');
  try {
    await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(lockTimeoutMs))}`);
    await client.query(`LOCK TABLE ${partition} IN ACCESS EXCLUSIVE MODE`);
    const { rowCount } = await client.query(`SELECT 1 FROM ${partition} LIMIT 1`);
    if ((rowCount ?? 0) > 0) {
      await client.query('ROLLBACK');
      return false;
    }
    await client.query(`ALTER TABLE events DETACH PARTITION ${partition}`);
    await client.query(`DROP TABLE ${partition}`);
    await client.query('COMMIT');
    return true;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (isLockTimeout(error)) return false;
    throw error;
  }
}

function isLockTimeout(error: unknown): boolean {
  // 55P03 lock_not_available
  return typeof error === 'object' && error !== null && 'code' in error && error.code === '55P03';
}
