import { rm } from 'node:fs/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Logger } from '@event-pipeline/platform';
import type pg from 'pg';
import { refreshCatalog } from '../catalog/refresh-catalog.ts';
import { archiveDay, exportDay } from './archive-day.ts';
import type { CrashPoint, DayResult, ExportedDay } from './archive-day.ts';
import { hotCutoff } from './day-range.ts';
import { ensureDir } from './durable-files.ts';
import { scratchDir } from './hive-layout.ts';
import { findColdDays } from './hot-days.ts';
import type { ColdDay } from './hot-days.ts';
import { prepareSession } from './hot-store.ts';

export interface ArchiveJobOptions {
  /** A connected client of its own: it holds the advisory lock for the whole run, and deletes. */
  readonly pg: pg.ClientBase;
  /**
   * A second connected client: it exports the next day while the job writes, verifies and
   * deletes the current one.
   * Without it, days are exported one after another on `pg`.
   */
  readonly exportPg?: pg.ClientBase;
  readonly pipeline: string;
  readonly archiveDir: string;
  readonly retentionMs: number;
  readonly now: () => Date;
  readonly logger: Logger;
  /** DuckDB memory_limit, e.g. "256MiB". */
  readonly memoryLimit?: string;
  readonly threads?: number;
  readonly lockTimeoutMs?: number;
  readonly reached?: (point: CrashPoint) => void;
}

export type ArchiveRun =
  | { readonly status: 'locked' }
  | {
      readonly status: 'done';
      readonly days: readonly DayResult[];
      readonly rows: number;
      readonly bytes: number;
      readonly seconds: number;
      readonly cutoff: Date;
    };

/** Per pipeline, so the jobs of two pipelines sharing a database do not exclude each other. */
const LOCK_NAMESPACE = 'eventpipeline-archiver';

/**
 * One archive run: takes the pipeline's advisory lock (returns `locked` at once when another run
 * holds it), archives every cold day oldest first, then refreshes the catalog.
 */
export async function runArchiveJob(options: ArchiveJobOptions): Promise<ArchiveRun> {
  const { pg: client, pipeline, archiveDir, logger } = options;
  const started = performance.now();
  const { rows } = await client.query<{ locked: boolean }>(
    'SELECT pg_try_advisory_lock(hashtext($1), hashtext($2)) AS locked',
    [LOCK_NAMESPACE, pipeline],
  );
  if (rows[0]?.locked !== true) return { status: 'locked' };
  try {
    await prepareSession(client);
    if (options.exportPg !== undefined) await prepareSession(options.exportPg);
    const scratch = scratchDir(archiveDir, pipeline);
    await rm(scratch, { recursive: true, force: true });
    await ensureDir(scratch);
    const cutoff = hotCutoff(options.now(), options.retentionMs);
    const coldDays = await findColdDays(client, pipeline, cutoff);
    logger.info({ cutoff: cutoff.toISOString(), days: coldDays.length }, 'cold days found');
    const results: DayResult[] = [];
    const instance = await DuckDBInstance.create(':memory:', {
      memory_limit: options.memoryLimit ?? '256MiB',
      threads: String(options.threads ?? 2),
      preserve_insertion_order: 'false',
      temp_directory: scratch,
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    });
    try {
      const duck = await instance.connect();
      const exportDuck = await instance.connect();
      let next: Promise<ExportedDay> | undefined;
      try {
        const deps = {
          pg: client,
          duck,
          archiveDir,
          scratch,
          pipeline,
          logger,
          lockTimeoutMs: options.lockTimeoutMs ?? 10_000,
          reached: options.reached ?? (() => undefined),
        };
        const exporter = {
          pg: options.exportPg ?? client,
          duck: options.exportPg === undefined ? duck : exportDuck,
          scratch,
          pipeline,
        };
        const exportOf = (day: ColdDay): Promise<ExportedDay> => exportDay(exporter, day);
        // Two-stage pipeline: day i+1 is exported (PostgreSQL's COPY streamed into DuckDB) on the
        // second client and connection while day i is written, verified and deleted.
        for (const [i, day] of coldDays.entries()) {
          const exported = await (next ?? exportOf(day));
          const following = coldDays[i + 1];
          next =
            options.exportPg !== undefined && following !== undefined
              ? exportOf(following)
              : undefined;
          // A failure below leaves `next` running; keep its rejection from going unhandled.
          next?.catch(() => undefined);
          results.push(await archiveDay(deps, exported));
        }
        await refreshCatalog(archiveDir, pipeline);
      } finally {
        // After a failure the next day's export may still be running on exportDuck: stop it and
        // let it settle (its COPY drained) before the connection is closed under it.
        if (next !== undefined) {
          exportDuck.interrupt();
          await next.catch(() => undefined);
        }
        exportDuck.closeSync();
        duck.closeSync();
      }
    } finally {
      instance.closeSync();
    }
    await rm(scratch, { recursive: true, force: true });
    return {
      status: 'done',
      days: results,
      rows: results.reduce((sum, day) => sum + day.rows, 0),
      bytes: results.reduce((sum, day) => sum + day.bytes, 0),
      seconds: (performance.now() - started) / 1000,
      cutoff,
    };
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1), hashtext($2))', [
      LOCK_NAMESPACE,
      pipeline,
    ]);
  }
}
