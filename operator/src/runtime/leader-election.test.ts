import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideLease } from './leader-election.ts';

describe('decideLease', () => {
  const lease = (holder: string | undefined, renewTimeMs: number) => ({
    holder,
    renewTimeMs,
    leaseDurationMs: 15_000,
  });

  it('creates a missing lease', () => {
    assert.equal(decideLease(undefined, 'me', 0, 15_000), 'create');
  });
  it('renews its own lease', () => {
    assert.equal(decideLease(lease('me', 0), 'me', 1_000, 15_000), 'renew');
  });
  it('waits while another holder is within its lease', () => {
    assert.equal(decideLease(lease('other', 10_000), 'me', 25_000, 15_000), 'wait');
  });
  it('takes an expired or released lease', () => {
    assert.equal(decideLease(lease('other', 10_000), 'me', 25_001, 15_000), 'take');
    assert.equal(decideLease(lease('', 10_000), 'me', 10_001, 15_000), 'take');
    assert.equal(decideLease(lease(undefined, 0), 'me', 0, 15_000), 'take');
  });
});
