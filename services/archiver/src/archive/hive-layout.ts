import { join } from 'node:path';

/** <archive>/pipeline=<p>/date=<YYYY-MM-DD>: one folder per pipeline and UTC day. */
export function dayDir(archiveDir: string, pipeline: string, date: string): string {
  return join(archiveDir, `pipeline=${pipeline}`, `date=${date}`);
}

/** A part's name comes from its content (rows and checksum), so a re-export of the same rows overwrites it. */
export function partFileName(
  rows: number,
  checksum: string,
  digest: (text: string) => string,
): string {
  return `part-${digest(`${rows}:${checksum}`).slice(0, 16)}.parquet`;
}

export function isPartFile(name: string): boolean {
  return name.startsWith('part-') && name.endsWith('.parquet');
}

/**
 * A pipeline's scratch space on the archive volume (same filesystem, so renames are atomic);
 * emptied by every run of that pipeline. Per pipeline: runs of different pipelines may share the
 * volume and run at once (each holds only its own pipeline's lock).
 */
export function scratchDir(archiveDir: string, pipeline: string): string {
  return join(archiveDir, '.tmp', pipeline);
}

/** The glob the catalog views read: every part of every pipeline and day. */
export function partsGlob(archiveDir: string): string {
  return join(archiveDir, 'pipeline=*', 'date=*', '*.parquet');
}

export function catalogPath(archiveDir: string): string {
  return join(archiveDir, 'catalog.duckdb');
}
