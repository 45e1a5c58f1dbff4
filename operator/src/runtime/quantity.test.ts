import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { canonicalQuantity, parseQuantity } from './quantity.ts';

describe('quantities', () => {
  it('canonicalizes whole numbers the way the API server does', () => {
    assert.deepEqual([1, 100, 1000, 1500, 2_000_000, 3e9].map(canonicalQuantity), [
      '1',
      '100',
      '1k',
      '1500',
      '2M',
      '3G',
    ]);
  });
  it('parses what it prints (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e12 }),
        (n) => parseQuantity(canonicalQuantity(n)) === n,
      ),
    );
  });
  it('rejects text that is not a quantity', () => {
    assert.equal(parseQuantity('abc'), undefined);
    assert.equal(parseQuantity('1MiB'), undefined);
  });
});
