import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planNamedQuery } from './named-queries.ts';

describe('planNamedQuery', () => {
  it('fills defaults and keeps parameters as values', () => {
    const plan = planNamedQuery('funnel', { first: "signup'; DROP TABLE x; --", then: 'purchase' });
    assert.ok(!('error' in plan));
    assert.deepEqual(plan.values, [
      '1970-01-01',
      '9999-12-31',
      "signup'; DROP TABLE x; --",
      'purchase',
      86_400,
    ]);
    assert.doesNotMatch(plan.sql, /DROP/);
  });
  it('names an unknown query and the known ones', () => {
    const plan = planNamedQuery('nope', {});
    assert.ok('error' in plan);
    assert.match(plan.error, /unknown named query "nope"; known: events-per-type-per-day/);
  });
  it('names a bad or unknown parameter', () => {
    const bad = planNamedQuery('daily-active-users', { from: 'yesterday' });
    assert.ok('error' in bad);
    assert.match(bad.error, /from:/);
    const unknown = planNamedQuery('daily-active-users', { form: '2026-01-01' });
    assert.ok('error' in unknown);
    assert.match(unknown.error, /form/);
  });
});
