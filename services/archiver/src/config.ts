import { z } from 'zod';
import { env } from '@event-pipeline/platform';

/** Pipeline names are Kubernetes object names: they become a path segment and part of a lock key. */
const PIPELINE_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** Every environment variable the archiver reads; main.ts parses it once with parseConfig. */
export const archiverConfigSchema = z.object({
  /** Required by archive; query and serve read only the archive folder. */
  DATABASE_URL: z.string().min(1).optional(),
  PIPELINE_NAME: z
    .string()
    .regex(PIPELINE_NAME, 'must be a Kubernetes object name (lowercase letters, digits, - and .)')
    .optional(),
  /** The EventPipeline's namespace (set by the operator); part of the Pushgateway group. */
  PIPELINE_NAMESPACE: z.string().min(1).optional(),
  ARCHIVE_DIR: z.string().min(1),
  HOT_RETENTION: env.duration().prefault('7d'),
  METRICS_FILE: z.string().min(1).optional(),
  PUSHGATEWAY_URL: z.url().optional(),
  DUCKDB_MEMORY_LIMIT: z
    .string()
    .regex(/^\d+(\.\d+)?\s*[KMGT]i?B$/i)
    .default('256MiB'),
  /**
   * DuckDB threads converting days. Two: with one, DuckDB converted, read back and verified on one
   * core while the other sat idle whenever no export ran beside it (the machine 85-87 % busy);
   * with two the job was 94-95 % busy and archived 11-27 % more rows/s (docs/archiver.md). Peak
   * RSS is then ~25 MiB higher with MALLOC_ARENA_MAX=2, which the operator's CronJob sets.
   */
  ARCHIVE_DUCKDB_THREADS: env.positiveInt({ max: 64 }).prefault('2'),
  /** DuckDB threads answering queries. */
  DUCKDB_THREADS: env.positiveInt({ max: 64 }).prefault('2'),
  QUERY_TIMEOUT: env.duration().prefault('30s'),
  QUERY_MAX_ROWS: env.positiveInt({ max: 1_000_000 }).prefault('10000'),
  PORT: env.port({ allowZero: true }).prefault('8080'),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: env.logLevel().default('info'),
  LOG_PRETTY: env.boolean().prefault('false'),
  /** Test hook: kill the process with SIGKILL at this step of the first day it reaches. */
  ARCHIVER_CRASH_AT: z.enum(['after-write', 'after-verify', 'after-delete']).optional(),
});

export type ArchiverEnv = z.output<typeof archiverConfigSchema>;
