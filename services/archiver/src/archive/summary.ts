import type { ArchiveRun } from './archive-job.ts';

/** The one line a CronJob user reads: what moved, how much, how long. */
export function summaryLine(run: ArchiveRun, pipeline: string): string {
  if (run.status === 'locked') {
    return `another archive run holds the lock for pipeline ${pipeline}; nothing done (exit 0, the next scheduled run continues)`;
  }
  const archived = run.days.filter((day) => day.outcome === 'archived').length;
  if (archived === 0) {
    return `nothing to archive for pipeline ${pipeline}: no rows older than ${run.cutoff.toISOString()} (${run.seconds.toFixed(1)} s)`;
  }
  const rate = run.seconds > 0 ? Math.round(run.rows / run.seconds) : run.rows;
  return `archived pipeline ${pipeline}: ${archived} day(s), ${run.rows} rows, ${formatBytes(run.bytes)} of Parquet in ${run.seconds.toFixed(1)} s (${rate} rows/s); hot data now starts at ${run.cutoff.toISOString()}`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit] ?? 'B'}`;
}
