import { createHash } from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Logger } from '@event-pipeline/platform';
import type pg from 'pg';
import { sameStats } from './columns.ts';
import { ensureDir, publishFile, removeDurably } from './durable-files.ts';
import { dayDir, isPartFile, partFileName } from './hive-layout.ts';
import type { ColdDay } from './hot-days.ts';
import { copyDayCsv, dropEmptyPartition, removeDay } from './hot-store.ts';
import { throughNamedPipe } from './named-pipe.ts';
import { csvToParquet, overlap, parquetStats } from './parquet-files.ts';

/** Points where the crash hook may stop the process (tests kill the job there). */
export type CrashPoint = 'after-write' | 'after-verify' | 'after-delete';

export interface DayDeps extends ExportDeps {
  readonly archiveDir: string;
  readonly logger: Logger;
  readonly lockTimeoutMs: number;
  /** Called at each crash point; the test hook kills the process there. */
  readonly reached: (point: CrashPoint) => void;
}

export interface DayResult {
  readonly date: string;
  readonly rows: number;
  readonly bytes: number;
  readonly outcome: 'archived' | 'dropped-empty-partition' | 'nothing';
}

const MAX_ATTEMPTS = 3;
/** How long dropping an emptied partition may wait for the lock on `events` (inserts queue behind it). */
const DROP_LOCK_TIMEOUT_MS = 2_000;

/** A day's rows as PostgreSQL sent them, converted to a Parquet file in the scratch folder. */
export interface ExportedDay {
  readonly day: ColdDay;
  /** The not yet published Parquet file, on the archive volume (renamed into place later). */
  readonly tempPath: string;
  readonly rows: number;
  readonly ms: number;
}

/** What exporting a day needs: a PostgreSQL client and a DuckDB connection no one else uses meanwhile. */
export interface ExportDeps {
  readonly pg: pg.ClientBase;
  readonly duck: DuckDBConnection;
  readonly scratch: string;
  readonly pipeline: string;
}

/**
 * Step 1: one COPY (one snapshot) of the day as CSV, streamed through a named pipe into DuckDB,
 * which writes it as a Parquet file under a temporary name: the CSV never lands on disk. The job
 * runs it for the next day meanwhile, on a second client and connection.
 */
export async function exportDay(deps: ExportDeps, day: ColdDay): Promise<ExportedDay> {
  const started = performance.now();
  const tempPath = join(deps.scratch, `${deps.pipeline}-${day.date}.parquet.tmp`);
  const rows = await throughNamedPipe(
    (csvPath) => csvToParquet(deps.duck, csvPath, tempPath),
    (sink) => copyDayCsv(deps.pg, deps.pipeline, day, sink),
  );
  return { day, tempPath, rows, ms: Math.round(performance.now() - started) };
}

/**
 * Moves one cold day of one pipeline from PostgreSQL to a Parquet part, as a state machine that a
 * rerun after a crash at any step completes:
 * 1. export the day (one COPY: one snapshot) as CSV through a named pipe into DuckDB, which writes
 *    it as Parquet (zstd) under a temporary name;
 * 2. parts of this day already on disk whose rows are all in the new export were never committed
 *    (an earlier run stopped before deleting): remove them; then fsync, rename, fsync the folder;
 * 3. verify: read the published file back (row count and dedup-key checksum);
 * 4. in one transaction, lock the partition, compare PostgreSQL's count and checksum with the
 *    file's, and only if equal empty the day (TRUNCATE its own partition, else DELETE its rows);
 *    then, best effort, DETACH + DROP the emptied partition.
 * Parts whose rows are gone from PostgreSQL are committed and never touched again (the delete
 * transaction removes all of a part's rows at once, so a part is either wholly hot or committed).
 */
export async function archiveDay(deps: DayDeps, exported: ExportedDay): Promise<DayResult> {
  const { day } = exported;
  const log = deps.logger.child({ date: day.date, partition: day.partition });
  const folder = dayDir(deps.archiveDir, deps.pipeline, day.date);
  let current = exported;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
    if (attempt > 1) current = await exportDay(deps, day);
    const timings: Record<string, number> = { exportMs: current.ms };
    let mark = performance.now();
    const lap = (step: string): void => {
      const now = performance.now();
      timings[`${step}Ms`] = Math.round(now - mark);
      mark = now;
    };
    const { tempPath } = current;
    try {
      if (current.rows === 0) return await emptyDay(deps, day, log);
      const written = await parquetStats(deps.duck, tempPath);
      if (written.rows !== current.rows) {
        throw new Error(
          `the Parquet file for ${day.date} has ${written.rows} rows but PostgreSQL sent ${current.rows}; nothing was deleted`,
        );
      }
      const name = partFileName(written.rows, written.checksum, (text) =>
        createHash('sha256').update(text).digest('hex'),
      );
      const finalPath = join(folder, name);
      await ensureDir(folder);
      await discardUncommittedParts(deps, folder, tempPath, log);
      await publishFile(tempPath, finalPath);
      lap('write');
      deps.reached('after-write');

      // Read back what is on disk now (after fsync and rename), not what was meant to be written.
      const onDisk = await parquetStats(deps.duck, finalPath);
      if (!sameStats(onDisk, written)) {
        throw new Error(`${finalPath} reads back differently than written; nothing was deleted`);
      }
      lap('verify');
      deps.reached('after-verify');

      // Compares count and checksum with PostgreSQL under the lock, and deletes only if equal.
      const removed = await removeDay(deps.pg, deps.pipeline, day, onDisk, deps.lockTimeoutMs);
      lap('delete');
      if (removed.kind === 'changed') {
        log.warn(
          { exported: onDisk.rows, now: removed.now.rows, attempt },
          'PostgreSQL holds different rows of this day than the file (late events?); exporting it again',
        );
        continue;
      }
      deps.reached('after-delete');
      const dropped =
        removed.kind === 'emptied-partition' &&
        (await dropEmptyPartition(deps.pg, day, DROP_LOCK_TIMEOUT_MS));
      lap('drop');
      const bytes = (await stat(finalPath)).size;
      log.info(
        {
          rows: onDisk.rows,
          bytes,
          file: finalPath,
          removal: dropped ? 'dropped-partition' : removed.kind,
          ...timings,
        },
        'day archived',
      );
      return { date: day.date, rows: onDisk.rows, bytes, outcome: 'archived' };
    } finally {
      await rm(tempPath, { force: true });
    }
  }
  throw new Error(
    `day ${day.date} kept changing during ${MAX_ATTEMPTS} exports; is a consumer still writing events that old? Rerun later`,
  );
}

/** A cold day without rows of this pipeline: drop its partition if it is the day's own and empty. */
async function emptyDay(deps: DayDeps, day: ColdDay, log: Logger): Promise<DayResult> {
  const dropped = await dropEmptyPartition(deps.pg, day, DROP_LOCK_TIMEOUT_MS);
  if (dropped) log.info('dropped an empty cold partition');
  return {
    date: day.date,
    rows: 0,
    bytes: 0,
    outcome: dropped ? 'dropped-empty-partition' : 'nothing',
  };
}

/** Removes the parts of the day whose rows are all still hot (they are in the new export). */
async function discardUncommittedParts(
  deps: DayDeps,
  folder: string,
  newPath: string,
  log: Logger,
): Promise<void> {
  for (const name of await readdir(folder)) {
    const path = join(folder, name);
    if (name.endsWith('.tmp') && path !== newPath) {
      await removeDurably(path);
      continue;
    }
    if (!isPartFile(name)) continue;
    const { rows, shared } = await overlap(deps.duck, path, newPath);
    if (shared === rows) {
      log.info({ file: path, rows }, 'removing a part an earlier run wrote but did not commit');
      await removeDurably(path);
    } else if (shared > 0) {
      log.warn(
        { file: path, rows, shared },
        'some rows of an archived part are hot again (re-ingested after the dedup window?); keeping both copies',
      );
    }
  }
}
