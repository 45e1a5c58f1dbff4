// make bench-archive: N events (BENCH_EVENTS, default 10 M) across 10 days in a private PostgreSQL,
// archived by the real CLI as a child process. Baseline measured in the same run: a plain
// PostgreSQL COPY of the same rows to a CSV file.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline as pipe } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { createLogger } from '@event-pipeline/platform';
import { down, up } from '@event-pipeline/stack';
import { runMigrations } from '../services/dedup-consumer/src/storage/run-migrations.ts';
import { ensurePartitions } from '../services/dedup-consumer/src/storage/ensure-partitions.ts';
import { dayPartition } from '../services/dedup-consumer/src/storage/partition-days.ts';
import { ARCHIVE_JOB_TUNING } from '../operator/src/desired/archive.ts';
import { openArchiveReader } from '../services/archiver/src/query/archive-reader.ts';
import { createQueryService } from '../services/archiver/src/query/query-service.ts';
import { cpuShares, machineCpuTicks } from './machine-cpu.ts';
import { machineSpeedLine, measureMachineSpeed } from './machine-speed.ts';
import { writeResults } from './results-file.ts';
import {
  cpuCeiling,
  cpuMicrosPer,
  cpuSecondsByPart,
  exitedChildrenCpuSeconds,
} from './process-cpu.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 10_000_000);
const DAYS = 10;
const DAY_MS = 86_400_000;
const PIPELINE = 'bench';
const MAIN = fileURLToPath(new URL('../services/archiver/src/main.ts', import.meta.url));
const TARGETS = { rowsPerSecond: 300_000, peakRssMiB: 512, namedQueryMs: 1_000 };

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const seconds = (since: number): number => (performance.now() - since) / 1000;

const stateDir = await mkdtemp(join(tmpdir(), 'bench-archive-stack-'));
const workDir = await mkdtemp(join(tmpdir(), 'bench-archive-'));
const archiveDir = join(workDir, 'archive');
const speedAtStart = measureMachineSpeed();
try {
  const { env } = await up(['postgres'], { stateDir, log: (line) => log(`stack: ${line}`) });
  const databaseUrl = env.DATABASE_URL;
  if (databaseUrl === undefined) throw new Error('the stack gave no DATABASE_URL');

  // Schema from the dedup consumer's migration, one partition per day.
  const firstDay = Math.floor(Date.now() / DAY_MS) * DAY_MS - (DAYS + 7) * DAY_MS;
  const days = Array.from({ length: DAYS }, (_, i) => firstDay + i * DAY_MS);
  const db = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: databaseUrl, max: 2 }) }),
  });
  await runMigrations(db, { now: new Date(), windowMs: DAY_MS, daysAhead: 1 });
  await ensurePartitions(
    db,
    days.map((day) => dayPartition(day)),
  );
  await db.destroy();

  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const generateStarted = performance.now();
  const perDay = Math.ceil(EVENTS / DAYS);
  await client.query('SET synchronous_commit = off');
  for (const [i, day] of days.entries()) {
    const count = Math.min(perDay, EVENTS - i * perDay);
    await client.query(
      `INSERT INTO events (dedup_key, pipeline, event_id, type, source, user_id, anonymous_id, event_time,
         sent_at, received_at, ingestion_id, properties, context, schema_version, kafka_partition, kafka_offset)
       SELECT md5($1::text || g), $2, 'evt-' || ($1::bigint + g),
              (ARRAY['page_view','click','signup','purchase','search','add_to_cart','logout','login'])[1 + (g * 7) % 8],
              'web', CASE WHEN g % 10 <> 0 THEN 'user-' || ((g * 2654435761) % 200000) END, 'anon-' || (g % 500000),
              r.at - interval '2 seconds', r.at - interval '1 second', r.at, 'ing-' || (g / 50),
              jsonb_build_object('path', '/p/' || (g % 1000), 'referrer', 'https://ref' || (g % 50) || '.example',
                'value', g % 997) || CASE WHEN g % 4 = 0 THEN '{"plan": "pro"}'::jsonb ELSE '{}'::jsonb END,
              jsonb_build_object('ip', '10.0.' || (g % 250) || '.' || (g % 200), 'locale', 'en-US',
                'userAgent', 'Mozilla/5.0 (X11; Linux x86_64) bench/' || (g % 20),
                'library', jsonb_build_object('name', 'analytics.js', 'version', '4.1.' || (g % 9))),
              1, (g % 12)::int, g
       FROM generate_series(1, $3::int) AS g,
            LATERAL (SELECT to_timestamp($1::bigint / 1000.0) + (g::bigint * (86399000 / $3::int)) * interval '1 millisecond' AS at) AS r`,
      [day, PIPELINE, count],
    );
    log(
      `generated day ${i + 1}/${DAYS} (${count} rows) at ${seconds(generateStarted).toFixed(0)} s`,
    );
  }
  await client.query('VACUUM ANALYZE events');
  const generateSeconds = seconds(generateStarted);

  // Baseline: PostgreSQL alone streaming the same rows to a CSV file.
  const baselineFile = join(workDir, 'baseline.csv');
  const baselineStarted = performance.now();
  const baselineMachineBefore = await machineCpuTicks();
  await pipe(
    client.query(
      copyTo(`COPY (SELECT dedup_key, event_id, type, source, user_id, anonymous_id, event_time, sent_at, received_at,
        ingestion_id, properties, context, schema_version, kafka_partition, kafka_offset FROM events) TO STDOUT WITH (FORMAT csv)`),
    ),
    createWriteStream(baselineFile),
  );
  const baselineSeconds = seconds(baselineStarted);
  const baselineMachine = cpuShares(baselineMachineBefore, await machineCpuTicks());
  const csvBytes = (await stat(baselineFile)).size;
  await rm(baselineFile);
  await client.end();

  // The archiver, as the CronJob runs it; its peak RSS sampled from /proc.
  await mkdir(archiveDir, { recursive: true });
  const archiveStarted = performance.now();
  const archiveMachineBefore = await machineCpuTicks();
  // CPU of the archiver (it has exited when read again: its time is then in our reaped children)
  // and of PostgreSQL, over the same stretch.
  const archiveCpu = async () => ({
    archiver: await exitedChildrenCpuSeconds(),
    postgres: (await cpuSecondsByPart({ stateDir })).postgres ?? 0,
  });
  const cpuBefore = await archiveCpu();
  const child = spawn(process.execPath, [MAIN, 'archive'], {
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: databaseUrl,
      PIPELINE_NAME: PIPELINE,
      ARCHIVE_DIR: archiveDir,
      HOT_RETENTION: '7d',
      ...ARCHIVE_JOB_TUNING,
      // Passed on when set, to measure their effect on speed and peak RSS.
      ...Object.fromEntries(
        ['DUCKDB_MEMORY_LIMIT', 'ARCHIVE_DUCKDB_THREADS', 'MALLOC_ARENA_MAX'].flatMap((name) => {
          const value = process.env[name];
          return value === undefined ? [] : [[name, value]];
        }),
      ),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let peakKiB = 0;
  const sample = async (): Promise<void> => {
    const status = await readFile(`/proc/${child.pid ?? 0}/status`, 'utf8').catch(() => '');
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    if (match?.[1] !== undefined) peakKiB = Math.max(peakKiB, Number(match[1]));
  };
  const sampler = setInterval(() => void sample(), 50);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(sampler);
  const archiveSeconds = seconds(archiveStarted);
  const archiveMachine = cpuShares(archiveMachineBefore, await machineCpuTicks());
  const cpuUsPerRow = cpuMicrosPer(EVENTS, cpuBefore, await archiveCpu());
  const ceiling = cpuCeiling(cpuUsPerRow);
  const cores = availableParallelism();
  if (code !== 0) throw new Error(`the archiver exited ${code}:\n${output}`);
  const lines = output.split('\n');
  const summary = lines.find((line) => line.includes('archived pipeline')) ?? '';
  // Where the time goes, summed over the days (from the archiver's "day archived" log lines).
  const steps: Record<string, number> = {};
  for (const line of lines.filter((text) => text.includes('"day archived"'))) {
    for (const [key, value] of Object.entries(JSON.parse(line) as Record<string, unknown>)) {
      if (key.endsWith('Ms') && typeof value === 'number') steps[key] = (steps[key] ?? 0) + value;
    }
  }
  log(`archiver step times summed over days (ms): ${JSON.stringify(steps)}`);
  const archivedRows = Number(/"rows":(\d+)/.exec(summary)?.[1] ?? 0);
  if (archivedRows !== EVENTS) throw new Error(`archived ${archivedRows} rows, expected ${EVENTS}`);

  let parquetBytes = 0;
  const pipelineDir = join(archiveDir, `pipeline=${PIPELINE}`);
  for (const dayDir of await readdir(pipelineDir)) {
    for (const file of await readdir(join(pipelineDir, dayDir))) {
      parquetBytes += (await stat(join(pipelineDir, dayDir, file))).size;
    }
  }

  // Named queries over the archive: first (cold) and the median of three more.
  const reader = await openArchiveReader({ archiveDir });
  const service = createQueryService(
    reader,
    { timeoutMs: 120_000, maxRows: 10_000 },
    createLogger({ name: 'bench', level: 'silent' }),
  );
  const named: Record<string, Record<string, string>> = {
    'events-per-type-per-day': {},
    'daily-active-users': {},
    'top-properties': {},
    funnel: { first: 'signup', then: 'purchase', within: '86400' },
  };
  const queries: { name: string; firstMs: number; medianMs: number; rows: number }[] = [];
  for (const [name, params] of Object.entries(named)) {
    const times: number[] = [];
    let rows = 0;
    for (let run = 0; run < 4; run += 1) {
      const started = performance.now();
      rows = (await service.named(name, params)).rows.length;
      times.push(performance.now() - started);
    }
    const [firstMs = 0, ...rest] = times;
    rest.sort((a, b) => a - b);
    queries.push({ name, firstMs, medianMs: rest[1] ?? firstMs, rows });
  }
  reader.close();

  const archiveRate = EVENTS / archiveSeconds;
  const baselineRate = EVENTS / baselineSeconds;
  const speedAtEnd = measureMachineSpeed();
  const result = {
    events: EVENTS,
    days: DAYS,
    generateSeconds,
    archive: {
      seconds: archiveSeconds,
      rowsPerSecond: archiveRate,
      peakRssMiB: peakKiB / 1024,
      parquetBytes,
      parquetBytesPerEvent: parquetBytes / EVENTS,
      stepMs: steps,
      machineCpu: archiveMachine,
      /** CPU µs per archived row: the archiver process (DuckDB's threads included) and PostgreSQL. */
      cpuUsPerRow,
      /** Rows/s every core could archive at that cost if nothing waited. */
      ceilingRowsPerSecond: ceiling.perSecond,
    },
    baseline: {
      what: 'PostgreSQL COPY (SELECT same columns) TO STDOUT csv, streamed to a file',
      seconds: baselineSeconds,
      rowsPerSecond: baselineRate,
      csvBytesPerEvent: csvBytes / EVENTS,
      machineCpu: baselineMachine,
    },
    ratios: {
      archiveRateVsBaseline: archiveRate / baselineRate,
      parquetVsCsvBytes: parquetBytes / csvBytes,
    },
    queries,
    targets: TARGETS,
    machine: {
      cpus: cores,
      node: process.version,
      speed: { atStart: speedAtStart, atEnd: speedAtEnd },
    },
  };
  const resultsFile = await writeResults('archive', result);

  const rowsOut: [string, string, string][] = [
    ['events archived (10 days)', EVENTS.toLocaleString('en-US'), ''],
    ['archive end to end', `${archiveSeconds.toFixed(1)} s`, ''],
    [
      'archive rows/s',
      Math.round(archiveRate).toLocaleString('en-US'),
      `target ≥ ${TARGETS.rowsPerSecond.toLocaleString('en-US')}: ${archiveRate >= TARGETS.rowsPerSecond ? 'met' : 'MISSED'}`,
    ],
    [
      'machine CPU while archiving',
      `${(archiveMachine.busy * 100).toFixed(0)}% busy`,
      `${(archiveMachine.stolen * 100).toFixed(0)}% stolen by the host`,
    ],
    [
      'CPU per archived row',
      `${ceiling.totalMicros.toFixed(1)} µs`,
      `archiver ${cpuUsPerRow.archiver?.toFixed(1)} µs, PostgreSQL ${cpuUsPerRow.postgres?.toFixed(1)} µs`,
    ],
    [
      `ceiling on ${cores} cores at that CPU per row`,
      ceiling.perSecond.toLocaleString('en-US'),
      'rows/s if nothing waited',
    ],
    ['baseline pg COPY to CSV rows/s', Math.round(baselineRate).toLocaleString('en-US'), ''],
    [
      'machine CPU during the baseline',
      `${(baselineMachine.busy * 100).toFixed(0)}% busy`,
      `${(baselineMachine.stolen * 100).toFixed(0)}% stolen by the host`,
    ],
    ['archive / baseline', `${result.ratios.archiveRateVsBaseline.toFixed(2)}×`, ''],
    [
      'peak RSS of the archiver (VmHWM)',
      `${(peakKiB / 1024).toFixed(0)} MiB`,
      `target ≤ ${TARGETS.peakRssMiB} MiB: ${peakKiB / 1024 <= TARGETS.peakRssMiB ? 'met' : 'MISSED'}`,
    ],
    [
      'Parquet bytes per event',
      (parquetBytes / EVENTS).toFixed(1),
      `CSV: ${(csvBytes / EVENTS).toFixed(1)} (${(result.ratios.parquetVsCsvBytes * 100).toFixed(0)}%)`,
    ],
    ...queries.map((query): [string, string, string] => [
      `query ${query.name}`,
      `${query.medianMs.toFixed(0)} ms (first ${query.firstMs.toFixed(0)} ms)`,
      `target ≤ ${TARGETS.namedQueryMs} ms: ${Math.max(query.medianMs, query.firstMs) <= TARGETS.namedQueryMs ? 'met' : query.medianMs <= TARGETS.namedQueryMs ? 'met warm' : 'MISSED'}`,
    ]),
    ['(generating the events took)', `${generateSeconds.toFixed(0)} s`, ''],
  ];
  const width = Math.max(...rowsOut.map(([name]) => name.length));
  const valueWidth = Math.max(...rowsOut.map(([, value]) => value.length));
  console.log(`\nbench-archive: ${EVENTS.toLocaleString('en-US')} events, ${DAYS} days\n`);
  for (const [name, value, note] of rowsOut) {
    console.log(`${name.padEnd(width)}  ${value.padStart(valueWidth)}  ${note}`);
  }
  console.log(`\n${machineSpeedLine(speedAtStart, speedAtEnd)}`);
  console.log(`written to ${resultsFile}`);
} finally {
  await down({ stateDir, log: (line) => log(`stack: ${line}`) });
  await rm(workDir, { recursive: true, force: true });
  await rm(stateDir, { recursive: true, force: true });
}
