import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { selectors } from './support/promql.ts';

describe('the PromQL selector lexer of the metric-name checks', () => {
  it('finds metrics and their matcher labels, not functions, label lists, strings or ranges', () => {
    assert.deepEqual(
      selectors(
        'sum by (namespace, pipeline) (rate(a_total{status=~"5..", route!="x,y}"}[5m])) / on (pipeline) group_left (le) b unless c > 0.5 and time() - d{pipeline=~"$pipeline"} offset 1h > 1e+06',
      ),
      [
        { metric: 'a_total', labels: ['status', 'route'] },
        { metric: 'b', labels: [] },
        { metric: 'c', labels: [] },
        { metric: 'd', labels: ['pipeline'] },
      ],
    );
  });

  it('reports a bare matcher without a metric name, and refuses what it cannot read', () => {
    assert.deepEqual(selectors('{__name__="x"}'), [{ metric: '', labels: ['__name__'] }]);
    assert.deepEqual(selectors('max(x) without (pod) > bool 3'), [{ metric: 'x', labels: [] }]);
    assert.throws(() => selectors('x{a="b}'), /unterminated string/);
    assert.throws(() => selectors('rate(x[5m)'), /no '\]'/);
  });
});
