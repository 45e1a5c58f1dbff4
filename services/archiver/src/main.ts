import pg from 'pg';
import {
  ConfigError,
  createLogger,
  createMetrics,
  logProcessWarnings,
  parseConfig,
} from '@event-pipeline/platform';
import type { Logger } from '@event-pipeline/platform';
import { runArchiveJob } from './archive/archive-job.ts';
import type { CrashPoint } from './archive/archive-day.ts';
import { summaryLine } from './archive/summary.ts';
import { archiverConfigSchema } from './config.ts';
import type { ArchiverEnv } from './config.ts';
import { pushMetrics, writeMetricsFile } from './metrics/job-metrics.ts';
import type { JobOutcome } from './metrics/job-metrics.ts';
import { openArchiveReader } from './query/archive-reader.ts';
import { createQueryServer } from './query/http-server.ts';
import { createQueryService } from './query/query-service.ts';
import type { QueryResult } from './query/run-query.ts';

const USAGE = `usage: node services/archiver/src/main.ts <command>
  archive                         move cold days from PostgreSQL to Parquet (env: DATABASE_URL, PIPELINE_NAME, ARCHIVE_DIR, HOT_RETENTION)
  query "<SELECT …>" [--json]     run one read-only statement over the archive (env: ARCHIVE_DIR)
  query --named <name> [k=v …] [--json]   run a named query; query --list shows them
  serve                           HTTP query endpoint on PORT (env: ARCHIVE_DIR, PORT)`;

/** Exit codes: 0 done (or nothing to do, or another run holds the lock), 1 failed, 2 bad usage or configuration. */
const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    console.error(USAGE);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  let config: ArchiverEnv;
  try {
    config = parseConfig(archiverConfigSchema, process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return EXIT.usage;
    }
    throw error;
  }
  const logger = createLogger({
    name: 'archiver',
    level: config.LOG_LEVEL,
    pretty: config.LOG_PRETTY,
    // query prints results on stdout; its logs go to stderr.
    ...(command === 'query' ? { destination: process.stderr } : {}),
  });
  logProcessWarnings(logger);
  switch (command) {
    case 'archive':
      return archive(config, logger);
    case 'query':
      return query(config, logger, args);
    case 'serve':
      return serve(config, logger);
    default:
      console.error(`unknown command "${command}"\n${USAGE}`);
      return EXIT.usage;
  }
}

async function archive(config: ArchiverEnv, logger: Logger): Promise<number> {
  const pipeline = config.PIPELINE_NAME;
  if (config.DATABASE_URL === undefined || pipeline === undefined) {
    console.error('archive needs DATABASE_URL and PIPELINE_NAME set');
    return EXIT.usage;
  }
  const log = logger.child({ component: 'archive', pipeline });
  const started = performance.now();
  const client = new pg.Client({
    connectionString: config.DATABASE_URL,
    application_name: 'eventpipeline-archiver',
  });
  const exportClient = new pg.Client({
    connectionString: config.DATABASE_URL,
    application_name: 'eventpipeline-archiver-export',
  });
  // A session PostgreSQL ends (restart, failover) fails the running query, and the job exits with
  // a clear message; without a listener pg would also throw the same error as an uncaught event.
  for (const pgClient of [client, exportClient]) {
    pgClient.on('error', (error) => {
      log.warn({ err: error }, 'PostgreSQL ended the session');
    });
  }
  const crashAt = config.ARCHIVER_CRASH_AT;
  const reached = (point: CrashPoint): void => {
    if (point !== crashAt) return;
    log.warn({ point }, 'ARCHIVER_CRASH_AT reached: killing the process (test hook)');
    process.kill(process.pid, 'SIGKILL');
  };
  let outcome: JobOutcome;
  let code: number;
  try {
    await client.connect();
    await exportClient.connect();
    const run = await runArchiveJob({
      pg: client,
      exportPg: exportClient,
      pipeline,
      archiveDir: config.ARCHIVE_DIR,
      retentionMs: config.HOT_RETENTION,
      now: () => new Date(),
      logger: log,
      memoryLimit: config.DUCKDB_MEMORY_LIMIT,
      threads: config.ARCHIVE_DUCKDB_THREADS,
      reached,
    });
    log.info(
      run.status === 'done'
        ? { days: run.days.length, rows: run.rows, bytes: run.bytes, seconds: run.seconds }
        : {},
      summaryLine(run, pipeline),
    );
    if (run.status === 'locked') return EXIT.ok;
    outcome = {
      pipeline,
      succeeded: true,
      rows: run.rows,
      bytes: run.bytes,
      days: run.days.filter((day) => day.outcome === 'archived').length,
      seconds: run.seconds,
      finishedAt: new Date(),
    };
    code = EXIT.ok;
  } catch (error) {
    log.error(
      { err: error },
      `archive run failed: ${error instanceof Error ? error.message : String(error)}. Days finished before the failure are archived; the failed day is still in PostgreSQL and the next run retries it`,
    );
    outcome = {
      pipeline,
      succeeded: false,
      rows: 0,
      bytes: 0,
      days: 0,
      seconds: (performance.now() - started) / 1000,
      finishedAt: new Date(),
    };
    code = EXIT.failed;
  } finally {
    await Promise.allSettled([client.end(), exportClient.end()]);
  }
  await reportMetrics(config, outcome, log);
  return code;
}

async function reportMetrics(config: ArchiverEnv, outcome: JobOutcome, log: Logger): Promise<void> {
  if (config.METRICS_FILE !== undefined) {
    await writeMetricsFile(config.METRICS_FILE, outcome).catch((error: unknown) => {
      log.warn({ err: error, file: config.METRICS_FILE }, 'could not write the metrics file');
    });
  }
  if (config.PUSHGATEWAY_URL !== undefined) {
    await pushMetrics(config.PUSHGATEWAY_URL, outcome, config.PIPELINE_NAMESPACE).catch(
      (error: unknown) => {
        log.warn({ err: error }, 'could not push metrics to the Pushgateway');
      },
    );
  }
}

async function query(
  config: ArchiverEnv,
  logger: Logger,
  args: readonly string[],
): Promise<number> {
  const json = args.includes('--json');
  const rest = args.filter((arg) => arg !== '--json');
  const reader = await openArchiveReader({
    archiveDir: config.ARCHIVE_DIR,
    threads: config.DUCKDB_THREADS,
  });
  try {
    const service = createQueryService(
      reader,
      { timeoutMs: config.QUERY_TIMEOUT, maxRows: config.QUERY_MAX_ROWS },
      logger.child({ component: 'query' }),
    );
    if (rest[0] === '--list') {
      for (const named of service.list()) {
        console.log(`${named.name}  (${named.params.join(', ')})  ${named.description}`);
      }
      return EXIT.ok;
    }
    let result: QueryResult;
    if (rest[0] === '--named') {
      const name = rest[1];
      if (name === undefined) {
        console.error('query --named needs a name; query --list shows them');
        return EXIT.usage;
      }
      const params: Record<string, string> = {};
      for (const pair of rest.slice(2)) {
        const eq = pair.indexOf('=');
        if (eq <= 0) {
          console.error(`parameters are key=value, got "${pair}"`);
          return EXIT.usage;
        }
        params[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
      result = await service.named(name, params);
    } else if (rest.length === 1 && rest[0] !== undefined) {
      result = await service.sql(rest[0]);
    } else {
      console.error(USAGE);
      return EXIT.usage;
    }
    if (json) {
      console.log(JSON.stringify(result));
    } else {
      // console.table prints nothing but an index column for no rows: name the columns instead.
      if (result.rows.length > 0) console.table(result.rows);
      else console.log(`(no rows; columns: ${result.columns.join(', ')})`);
      console.error(
        `${result.rows.length} row(s)${result.truncated ? ` (truncated at QUERY_MAX_ROWS=${config.QUERY_MAX_ROWS})` : ''} in ${Math.round(result.elapsedMs)} ms`,
      );
    }
    return EXIT.ok;
  } catch (error) {
    console.error(`query failed: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.failed;
  } finally {
    reader.close();
  }
}

async function serve(config: ArchiverEnv, logger: Logger): Promise<number> {
  const reader = await openArchiveReader({
    archiveDir: config.ARCHIVE_DIR,
    threads: config.DUCKDB_THREADS,
  });
  const log = logger.child({ component: 'query-server' });
  const metrics = createMetrics(
    config.PIPELINE_NAME === undefined ? {} : { pipeline: config.PIPELINE_NAME },
  );
  const server = createQueryServer({
    metrics: metrics.registry,
    service: createQueryService(
      reader,
      { timeoutMs: config.QUERY_TIMEOUT, maxRows: config.QUERY_MAX_ROWS },
      log,
    ),
    logger: log,
    port: config.PORT,
    host: config.HOST,
  });
  await server.start();
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  log.info({ signal }, 'stopping');
  await server.stop();
  reader.close();
  return EXIT.ok;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = EXIT.failed;
  },
);
