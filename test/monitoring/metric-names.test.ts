import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { KubeObject } from '../chart/chart.ts';
import type { ExportedMetric } from './support/exported-metrics.ts';
import { exportedMetrics } from './support/exported-metrics.ts';
import { only, renderChart } from './support/chart.ts';
import { dashboardQueries, readDashboard } from './support/dashboard.ts';
import { selectors } from './support/promql.ts';

/** Series from outside the project a query may use: kube-state-metrics' HPA status, `up`. */
const FOREIGN = new Map<string, ReadonlySet<string>>(
  [
    'kube_horizontalpodautoscaler_status_current_replicas',
    'kube_horizontalpodautoscaler_status_desired_replicas',
    'kube_horizontalpodautoscaler_spec_max_replicas',
  ]
    .map((name) => [name, new Set(['namespace', 'horizontalpodautoscaler'])] as const)
    .concat([['up', new Set(['namespace', 'pod', 'job', 'instance'])]]),
);

interface Query {
  readonly where: string;
  readonly expr: string;
}

async function alertQueries(): Promise<Query[]> {
  const [rule] = only(
    await renderChart(
      { 'monitoring.prometheusRule.enabled': true },
      { showOnly: ['templates/monitoring/prometheusrule.yaml'] },
    ),
    'PrometheusRule',
  );
  assert.ok(rule);
  const { groups } = (
    rule as KubeObject & {
      spec: {
        groups: { rules: { alert: string; expr: string; annotations: Record<string, string> }[] }[];
      };
    }
  ).spec;
  return groups
    .flatMap((g) => g.rules)
    .flatMap((r) => [
      { where: `alert ${r.alert}`, expr: r.expr },
      // Metric names the descriptions tell the reader to check must exist too.
      ...Object.values(r.annotations).flatMap((text) =>
        [...text.matchAll(/\beventpipeline_[a-z0-9_]+/g)].map(([name]) => ({
          where: `alert ${r.alert} annotation`,
          expr: name,
        })),
      ),
    ]);
}

function check(queries: readonly Query[], exported: ReadonlyMap<string, ExportedMetric>): void {
  const problems: string[] = [];
  for (const { where, expr } of queries) {
    const found = selectors(expr);
    if (found.length === 0) problems.push(`${where}: no series in ${expr}`);
    for (const { metric, labels } of found) {
      const known = exported.get(metric)?.labels ?? FOREIGN.get(metric);
      if (known === undefined) {
        problems.push(`${where}: ${metric || '(no metric name)'} is not exported`);
        continue;
      }
      for (const label of labels) {
        if (!known.has(label)) problems.push(`${where}: ${metric} has no label ${label}`);
      }
    }
  }
  assert.deepEqual(problems, []);
}

describe('every series the alerts and the dashboard query is one the services export', () => {
  let exported: ReadonlyMap<string, ExportedMetric> = new Map();
  before(async () => {
    exported = await exportedMetrics();
  });

  it('reads the registries: ingest, consumer, archive, operator and process series', () => {
    for (const name of [
      'eventpipeline_ingest_http_requests_total',
      'eventpipeline_ingest_http_request_duration_seconds_bucket',
      'eventpipeline_consumer_lag_total',
      'eventpipeline_archive_last_success_timestamp_seconds',
      'eventpipeline_operator_reconciles_total',
      'eventpipeline_process_cpu_seconds_total',
    ]) {
      assert.ok(exported.has(name), name);
    }
    assert.ok(exported.get('eventpipeline_consumer_dead_letters_total')?.labels.has('reason'));
    assert.ok(!exported.get('eventpipeline_operator_reconciles_total')?.labels.has('pipeline'));
    assert.ok(!exported.has('eventpipeline_consumer_lag_total_bucket'));
  });

  it('in the PrometheusRule', async () => {
    check(await alertQueries(), exported);
  });

  it('in the Grafana dashboard', async () => {
    check(dashboardQueries(await readDashboard()), exported);
  });

  it('and the check itself refuses an unknown metric or label', () => {
    assert.throws(
      () =>
        check([{ where: 'q', expr: 'rate(eventpipeline_ingest_requests_total[5m])' }], exported),
      /eventpipeline_ingest_requests_total is not exported/,
    );
    assert.throws(
      () =>
        check([{ where: 'q', expr: 'eventpipeline_operator_queue_depth{pipeline="x"}' }], exported),
      /has no label pipeline/,
    );
    assert.throws(() => check([{ where: 'q', expr: 'kube_pod_info' }], exported), /not exported/);
  });
});
