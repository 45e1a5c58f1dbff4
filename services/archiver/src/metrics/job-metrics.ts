import { readFile, rename, writeFile } from 'node:fs/promises';
import { Gauge, Pushgateway, Registry } from 'prom-client';
import { DEFAULT_METRIC_PREFIX } from '@event-pipeline/platform';

export interface JobOutcome {
  readonly pipeline: string;
  readonly succeeded: boolean;
  readonly rows: number;
  readonly bytes: number;
  readonly days: number;
  readonly seconds: number;
  readonly finishedAt: Date;
}

const LAST_SUCCESS = `${DEFAULT_METRIC_PREFIX}archive_last_success_timestamp_seconds`;
const FAILURES = `${DEFAULT_METRIC_PREFIX}archive_failures_total`;

/**
 * The job's metrics, for a short-lived process: a registry of their own (no process metrics of a
 * process about to exit). Counters across runs live in the textfile (read back and carried on) or
 * the Pushgateway group.
 */
export function jobRegistry(outcome: JobOutcome, previous: PreviousValues): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ pipeline: outcome.pipeline });
  const gauge = (name: string, help: string, value: number): void => {
    new Gauge({ name: `${DEFAULT_METRIC_PREFIX}${name}`, help, registers: [registry] }).set(value);
  };
  const finished = outcome.finishedAt.getTime() / 1000;
  gauge(
    'archive_last_success_timestamp_seconds',
    'Unix time the last successful archive run finished',
    outcome.succeeded ? finished : (previous.lastSuccess ?? 0),
  );
  gauge('archive_last_run_timestamp_seconds', 'Unix time the last archive run finished', finished);
  gauge(
    'archive_last_run_success',
    '1 when the last archive run succeeded, else 0',
    outcome.succeeded ? 1 : 0,
  );
  gauge('archive_rows_archived', 'Rows moved to Parquet by the last archive run', outcome.rows);
  gauge('archive_bytes_written', 'Parquet bytes written by the last archive run', outcome.bytes);
  gauge('archive_days_archived', 'Days moved to Parquet by the last archive run', outcome.days);
  gauge('archive_duration_seconds', 'Duration of the last archive run', outcome.seconds);
  gauge(
    'archive_failures_total',
    'Failed archive runs recorded in this metrics file',
    (previous.failures ?? 0) + (outcome.succeeded ? 0 : 1),
  );
  return registry;
}

export interface PreviousValues {
  readonly lastSuccess?: number;
  readonly failures?: number;
}

/** Values carried from an earlier textfile: the last success survives a failed run. */
export function parsePrevious(text: string): PreviousValues {
  const value = (name: string): number | undefined => {
    const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
    return match?.[1] === undefined ? undefined : Number(match[1]);
  };
  const lastSuccess = value(LAST_SUCCESS);
  const failures = value(FAILURES);
  return {
    ...(lastSuccess === undefined ? {} : { lastSuccess }),
    ...(failures === undefined ? {} : { failures }),
  };
}

/** node_exporter's textfile collector format, written atomically (temp file + rename). */
export async function writeMetricsFile(path: string, outcome: JobOutcome): Promise<void> {
  const previous = parsePrevious(await readFile(path, 'utf8').catch(() => ''));
  const text = await jobRegistry(outcome, previous).metrics();
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
}

/**
 * The Pushgateway group of a pipeline's archive job: instance=<pipeline>, plus its namespace when
 * known, so two pipelines of one name in different namespaces never overwrite each other.
 */
export function pushGroupings(pipeline: string, namespace?: string): Record<string, string> {
  return namespace === undefined ? { instance: pipeline } : { instance: pipeline, namespace };
}

/** Pushes to a Pushgateway under job="eventpipeline-archiver" and the pipeline's group. */
export async function pushMetrics(
  url: string,
  outcome: JobOutcome,
  namespace?: string,
): Promise<void> {
  const registry = jobRegistry(outcome, {});
  const gateway = new Pushgateway(url, { timeout: 10_000 }, registry);
  const groupings = pushGroupings(outcome.pipeline, namespace);
  if (outcome.succeeded) {
    await gateway.pushAdd({ jobName: 'eventpipeline-archiver', groupings });
  } else {
    // Keep the last success time of the group: push only the failure series.
    const failed = new Registry();
    failed.setDefaultLabels({ pipeline: outcome.pipeline });
    for (const name of ['archive_last_run_timestamp_seconds', 'archive_last_run_success']) {
      const metric = registry.getSingleMetric(`${DEFAULT_METRIC_PREFIX}${name}`);
      if (metric !== undefined) failed.registerMetric(metric);
    }
    await new Pushgateway(url, { timeout: 10_000 }, failed).pushAdd({
      jobName: 'eventpipeline-archiver',
      groupings,
    });
  }
}
