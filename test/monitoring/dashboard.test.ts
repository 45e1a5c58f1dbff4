import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { only, renderChart } from './support/chart.ts';
import { allPanels, dashboardQueries, readDashboard } from './support/dashboard.ts';
import { selectors } from './support/promql.ts';

const BUILTIN_VARIABLES = new Set(['__rate_interval', '__interval', '__range']);

/** The dashboard template rendered with the dashboard enabled and these values on top. */
async function dashboardConfigMaps(values: Record<string, string>) {
  const rendered = await renderChart(
    { 'monitoring.dashboard.enabled': true, ...values },
    { showOnly: ['templates/monitoring/dashboard.yaml'] },
  );
  return only(rendered, 'ConfigMap');
}

describe('the Grafana dashboard', () => {
  it('is dashboard JSON: title, uid, schema version, panels on a 24-column grid, templating', async () => {
    const d = await readDashboard();
    assert.equal(typeof d.title, 'string');
    assert.match(d.uid, /^[a-zA-Z0-9_-]{1,40}$/);
    assert.ok(Number.isInteger(d.schemaVersion) && d.schemaVersion >= 36, 'schemaVersion');
    assert.ok(Array.isArray(d.templating.list));
    const panels = allPanels(d);
    assert.ok(panels.length > 10);
    const ids = panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
    for (const p of panels) {
      const { x, y, w, h } = p.gridPos;
      assert.ok([x, y, w, h].every(Number.isInteger) && w > 0 && h > 0, `gridPos of ${p.title}`);
      assert.ok(x >= 0 && x + w <= 24, `${p.title} fits in 24 columns`);
      assert.ok(p.title.length > 0);
      if (p.type === 'row') continue;
      assert.ok(['timeseries', 'stat', 'gauge', 'table', 'bargauge'].includes(p.type), p.type);
      assert.deepEqual(p.datasource, { type: 'prometheus', uid: '${datasource}' }, p.title);
      assert.ok((p.targets ?? []).length > 0, `${p.title} has queries`);
      const refIds = (p.targets ?? []).map((t) => t.refId);
      assert.equal(new Set(refIds).size, refIds.length, `${p.title} refIds are unique`);
    }
  });

  it('uses only the variables it defines, and panels do not overlap', async () => {
    const d = await readDashboard();
    const defined = new Set(d.templating.list.map((v) => v.name));
    assert.ok(defined.has('datasource') && defined.has('pipeline') && defined.has('namespace'));
    for (const { where, expr } of dashboardQueries(d)) {
      for (const [, name] of expr.matchAll(/\$\{?([a-zA-Z_][a-zA-Z0-9_]*)/g)) {
        assert.ok(
          defined.has(name ?? '') || BUILTIN_VARIABLES.has(name ?? ''),
          `${where} uses $${name ?? ''}`,
        );
      }
    }
    const cells = new Map<string, string>();
    for (const p of allPanels(d)) {
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x += 1) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y += 1) {
          const other = cells.get(`${x},${y}`);
          assert.equal(other, undefined, `"${p.title}" overlaps "${other ?? ''}"`);
          cells.set(`${x},${y}`, p.title);
        }
      }
    }
  });

  it('shows ingest rate, latency, rejections, lag, replicas, stored rate, duplicates and archive runs', async () => {
    const used = new Set(
      dashboardQueries(await readDashboard()).flatMap(({ expr }) =>
        selectors(expr).map((s) => s.metric),
      ),
    );
    for (const metric of [
      'eventpipeline_ingest_events_accepted_total',
      'eventpipeline_ingest_http_request_duration_seconds_bucket',
      'eventpipeline_ingest_events_rejected_total',
      'eventpipeline_ingest_rate_limited_requests_total',
      'eventpipeline_consumer_lag_total',
      'kube_horizontalpodautoscaler_status_current_replicas',
      'eventpipeline_consumer_events_total',
      'eventpipeline_consumer_duplicates_total',
      'eventpipeline_archive_last_run_success',
      'eventpipeline_archive_last_success_timestamp_seconds',
    ]) {
      assert.ok(used.has(metric), `no panel queries ${metric}`);
    }
  });

  it('is shipped in a ConfigMap with the sidecar label, byte for byte, when enabled', async () => {
    assert.deepEqual(
      only(await renderChart(), 'ConfigMap').filter((c) => c.metadata.name.endsWith('-dashboard')),
      [],
    );
    const [configMap, ...others] = await dashboardConfigMaps({
      'monitoring.dashboard.namespace': 'grafana',
      'monitoring.dashboard.annotations.grafana_folder': 'Event pipeline',
    });
    assert.ok(configMap);
    assert.equal(others.length, 0);
    assert.equal(configMap.metadata.namespace, 'grafana');
    assert.equal(configMap.metadata.labels?.grafana_dashboard, '1');
    assert.equal(configMap.metadata.annotations?.grafana_folder, 'Event pipeline');
    const data = (configMap as { data?: Record<string, string> }).data ?? {};
    assert.deepEqual(JSON.parse(data['event-pipeline.json'] ?? ''), await readDashboard());
  });

  it('takes the sidecar label from values', async () => {
    const [configMap] = await dashboardConfigMaps({
      'monitoring.dashboard.labels.grafana_dashboard': 'null',
      'monitoring.dashboard.labels.dashboards': 'event-pipeline',
    });
    assert.equal(configMap?.metadata.labels?.grafana_dashboard, undefined);
    assert.equal(configMap?.metadata.labels?.dashboards, 'event-pipeline');
  });
});
