import { access } from 'node:fs/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { catalogPath } from '../archive/hive-layout.ts';
import { duckLiteral } from '../archive/parquet-files.ts';

export interface ArchiveReader {
  /** A fresh connection (one per query, so interrupting it stops only that query). */
  connect(): Promise<DuckDBConnection>;
  close(): void;
}

export interface ReaderOptions {
  readonly archiveDir: string;
  readonly memoryLimit?: string;
  readonly threads?: number;
}

export class ArchiveMissingError extends Error {
  override readonly name = 'ArchiveMissingError';
}

/**
 * Opens the catalog read-only and locks it down before any query runs: file access only under
 * the archive folder (allowed_directories, then enable_external_access=false), no extension
 * loading, and the configuration locked so a query cannot undo any of it.
 */
export async function openArchiveReader({
  archiveDir,
  memoryLimit = '512MiB',
  threads = 2,
}: ReaderOptions): Promise<ArchiveReader> {
  const path = catalogPath(archiveDir);
  try {
    await access(path);
  } catch {
    throw new ArchiveMissingError(
      `no archive catalog at ${path}: run the archive job first (node services/archiver/src/main.ts archive)`,
    );
  }
  const instance = await DuckDBInstance.create(path, {
    access_mode: 'READ_ONLY',
    memory_limit: memoryLimit,
    threads: String(threads),
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
  const setup = await instance.connect();
  try {
    const dir = archiveDir.endsWith('/') ? archiveDir : `${archiveDir}/`;
    await setup.run(`SET allowed_directories = [${duckLiteral(dir)}]`);
    await setup.run('SET enable_external_access = false');
    await setup.run('SET lock_configuration = true');
  } finally {
    setup.closeSync();
  }
  return {
    connect: () => instance.connect(),
    close: () => instance.closeSync(),
  };
}
