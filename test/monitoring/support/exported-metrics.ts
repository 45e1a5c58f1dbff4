import type { Registry } from '@event-pipeline/platform';
import { createMetrics } from '@event-pipeline/platform';
import { jobRegistry } from '../../../services/archiver/src/metrics/job-metrics.ts';
import { createConsumerMetrics } from '../../../services/dedup-consumer/src/consumer-metrics.ts';
import { createIngestMetrics } from '../../../services/ingest/src/ingest-metrics.ts';
import { createOperatorMetrics } from '../../../operator/src/operator-metrics.ts';

/** A metric the services register, with the label names a query may match it on. */
export interface ExportedMetric {
  readonly name: string;
  readonly type: string;
  readonly labels: ReadonlySet<string>;
}

/** Labels Prometheus adds to every scraped series (target and Kubernetes service discovery). */
export const TARGET_LABELS = [
  'namespace',
  'pod',
  'container',
  'service',
  'endpoint',
  'job',
  'instance',
];

const labelNamesOf = (metric: unknown): readonly string[] => {
  const names = (metric as { labelNames?: unknown }).labelNames;
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) {
    throw new Error('prom-client metric without labelNames: the check below needs them');
  }
  return names;
};

/** `pipeline` when the registry sets it as a default label (the services do, the operator not). */
async function collect(
  registry: Registry,
  into: Map<string, ExportedMetric>,
  { pipeline }: { readonly pipeline: boolean },
): Promise<void> {
  const byName = new Map(registry.getMetricsAsArray().map((m) => [m.name, m] as const));
  for (const { name, type } of await registry.getMetricsAsJSON()) {
    const metric = byName.get(name);
    const own = metric === undefined ? [] : labelNamesOf(metric);
    const earlier = into.get(name)?.labels ?? [];
    const labels = new Set([
      ...earlier,
      ...own,
      ...(pipeline ? ['pipeline'] : []),
      ...TARGET_LABELS,
    ]);
    const kind = String(type);
    into.set(name, { name, type: kind, labels });
    if (kind === 'histogram') {
      into.set(`${name}_bucket`, {
        name: `${name}_bucket`,
        type: kind,
        labels: new Set([...labels, 'le']),
      });
      into.set(`${name}_sum`, { name: `${name}_sum`, type: kind, labels });
      into.set(`${name}_count`, { name: `${name}_count`, type: kind, labels });
    }
  }
}

/**
 * Every series name the services and the operator register, read from their prom-client
 * registries built by the same functions their main.ts calls (process metrics included).
 */
export async function exportedMetrics(): Promise<ReadonlyMap<string, ExportedMetric>> {
  const found = new Map<string, ExportedMetric>();
  const service = createMetrics({ pipeline: 'p' });
  createIngestMetrics(service);
  createConsumerMetrics(service);
  await collect(service.registry, found, { pipeline: true });
  const operator = createMetrics();
  createOperatorMetrics(operator);
  await collect(operator.registry, found, { pipeline: false });
  const archive = jobRegistry(
    {
      pipeline: 'p',
      succeeded: true,
      rows: 0,
      bytes: 0,
      days: 0,
      seconds: 0,
      finishedAt: new Date(0),
    },
    {},
  );
  await collect(archive, found, { pipeline: true });
  return found;
}
