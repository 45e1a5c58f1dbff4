import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LAG_RETRIES, LAG_RETRY_MS, lagRetryAfter, nextCheck, reusable } from './topic-recheck.ts';

const RECHECK = 60_000;

describe('topic recheck', () => {
  it('reuses a check that read the lag for the recheck period of its generation', () => {
    const check = nextCheck(undefined, 3, 1_000, true);
    assert.equal(reusable(check, 3, 1_000 + RECHECK - 1, RECHECK), true);
    assert.equal(reusable(check, 3, 1_000 + RECHECK, RECHECK), false);
    assert.equal(reusable(check, 4, 1_001, RECHECK), false, 'a new generation looks at Kafka');
    assert.equal(reusable(undefined, 3, 1_000, RECHECK), false);
    assert.equal(lagRetryAfter(check), undefined);
  });

  it('looks again soon, and asks for a requeue, while the lag could not be read', () => {
    const check = nextCheck(undefined, 1, 0, false);
    assert.equal(check.lagMisses, 1);
    assert.equal(reusable(check, 1, LAG_RETRY_MS - 1, RECHECK), true);
    assert.equal(reusable(check, 1, LAG_RETRY_MS, RECHECK), false);
    assert.equal(lagRetryAfter(check), LAG_RETRY_MS);
    assert.equal(nextCheck(check, 1, LAG_RETRY_MS, true).lagMisses, 0, 'read: back to normal');
  });

  it('falls back to the recheck period when the lag stays unreadable', () => {
    let check = nextCheck(undefined, 1, 0, false);
    for (let i = 1; i < LAG_RETRIES; i += 1) check = nextCheck(check, 1, i * LAG_RETRY_MS, false);
    assert.equal(check.lagMisses, LAG_RETRIES);
    assert.equal(lagRetryAfter(check), undefined, 'no more fast requeues');
    assert.equal(reusable(check, 1, check.at + LAG_RETRY_MS, RECHECK), true);
    assert.equal(nextCheck(check, 2, 0, false).lagMisses, 1, 'a new generation counts afresh');
  });
});
