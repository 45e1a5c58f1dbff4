import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLabelSelector, resourceList, route, valueList } from './external-metrics.ts';

const base = 'https://m/apis/external.metrics.k8s.io/v1beta1';

describe('external metrics API routing', () => {
  it('serves discovery for the group and version', () => {
    assert.deepEqual(route(new URL('https://m/apis')), { kind: 'group-list' });
    assert.deepEqual(route(new URL(base)), { kind: 'resource-list' });
    assert.equal(resourceList(['eventpipeline_consumer_lag']).resources[0]?.namespaced, true);
  });

  it('routes a namespaced metric with its label selector', () => {
    const r = route(
      new URL(
        `${base}/namespaces/analytics/eventpipeline_consumer_lag?labelSelector=pipeline%3Dclicks`,
      ),
    );
    assert.equal(r.kind, 'values');
    assert.equal(r.namespace, 'analytics');
    assert.equal(r.metric, 'eventpipeline_consumer_lag');
    assert.deepEqual([...r.selector], [['pipeline', 'clicks']]);
  });

  it('refuses set-based selectors it cannot evaluate, and unknown paths', () => {
    assert.equal(typeof parseLabelSelector('pipeline in (a,b)'), 'string');
    assert.equal(
      route(new URL(`${base}/namespaces/a/m?labelSelector=x%20notin%20(y)`)).kind,
      'bad-selector',
    );
    assert.equal(route(new URL('https://m/api/v1/pods')).kind, 'not-found');
  });

  it('renders whole, non-negative values', () => {
    const list = valueList(
      'm',
      [
        { labels: { pipeline: 'p' }, value: -3 },
        { labels: { pipeline: 'q' }, value: 12.4 },
      ],
      new Date(0),
    );
    assert.deepEqual(
      list.items.map((i) => i.value),
      ['0', '12'],
    );
    assert.equal(list.items[0]?.timestamp, '1970-01-01T00:00:00Z');
  });
});
