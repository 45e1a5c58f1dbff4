import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { takeTokens } from './token-bucket.ts';

const rule = { rate: 200, burst: 100 };

describe('token bucket', () => {
  it('starts full, takes whole requests, and refuses what does not fit', () => {
    const first = takeTokens(undefined, 60, 0, rule);
    assert.equal(first.allowed, true);
    assert.equal(first.remaining, 40);
    const second = takeTokens(first.state, 60, 0, rule);
    assert.equal(second.allowed, false);
    assert.equal(second.remaining, 40);
    assert.equal(second.retryAfterMs, 100, '20 missing tokens at 200/s');
  });

  it('refills by elapsed time up to the burst', () => {
    const empty = takeTokens(undefined, 100, 0, rule);
    assert.equal(takeTokens(empty.state, 50, 250, rule).allowed, true);
    const later = takeTokens(empty.state, 0, 60_000, rule);
    assert.equal(later.remaining, 100);
  });

  it('says a request larger than the burst can never pass', () => {
    assert.equal(takeTokens(undefined, 101, 0, rule).retryAfterMs, Number.POSITIVE_INFINITY);
  });

  it('never admits more than burst + rate × elapsed', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 1, max: 40 })), {
          maxLength: 200,
        }),
        (steps) => {
          let state;
          let now = 0;
          let admitted = 0;
          for (const [gap, cost] of steps) {
            now += gap;
            const decision = takeTokens(state, cost, now, rule);
            state = decision.state;
            if (decision.allowed) admitted += cost;
          }
          assert.ok(admitted <= rule.burst + (rule.rate * now) / 1000 + 1e-9);
        },
      ),
    );
  });
});
