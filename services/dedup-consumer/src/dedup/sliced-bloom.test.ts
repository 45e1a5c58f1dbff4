import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createSlicedBloom } from './sliced-bloom.ts';

const HOUR = 3_600_000;
const WINDOW = 24 * HOUR;

describe('sliced Bloom filter (in the consumer, in front of the Redis marks)', () => {
  it('never forgets a key it was given while the window covers it', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ unit: 'grapheme', maxLength: 80 }), { minLength: 1 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: 0, max: WINDOW }),
        (keys, addedAt, later) => {
          const bloom = createSlicedBloom({ bits: 2 ** 12, hashes: 4, windowMs: WINDOW });
          bloom.add(keys, addedAt);
          assert.ok(bloom.mightContain(keys, addedAt).every(Boolean));
          assert.ok(bloom.mightContain(keys, addedAt + later).every(Boolean));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('says "never added" for keys it was not given, when it has room', () => {
    const bloom = createSlicedBloom({ bits: 2 ** 16, hashes: 4, windowMs: WINDOW });
    const now = Date.now();
    bloom.add(
      Array.from({ length: 100 }, (_, i) => `in-${i}`),
      now,
    );
    const others = Array.from({ length: 1_000 }, (_, i) => `out-${i}`);
    // 100 keys × 4 bits in 65,536: a false positive has odds of about 4·10⁻⁸ per key.
    assert.deepEqual(bloom.mightContain(others, now), new Array<boolean>(1_000).fill(false));
  });

  it('forgets a key once the window has passed its slice, and drops the slice', () => {
    const bloom = createSlicedBloom({ bits: 1_024, hashes: 4, windowMs: WINDOW });
    const then = Date.UTC(2026, 11, 2, 6);
    bloom.add(['k'], then);
    assert.deepEqual(bloom.mightContain(['k'], then + 20 * HOUR), [true]);
    assert.deepEqual(bloom.mightContain(['k'], then + 49 * HOUR), [false]);
    // Back in time again: the slice is gone, not just skipped.
    assert.deepEqual(bloom.mightContain(['k'], then), [false]);
  });

  it('reports how full its current slice is, counting each bit once', () => {
    const bloom = createSlicedBloom({ bits: 16, hashes: 1, windowMs: WINDOW });
    const now = Date.now();
    assert.equal(bloom.fillRatio(now), 0);
    bloom.add(['a'], now);
    bloom.add(['a'], now);
    assert.equal(bloom.fillRatio(now), 1 / 16);
    bloom.add(
      Array.from({ length: 200 }, (_, i) => `k-${i}`),
      now,
    );
    assert.equal(bloom.fillRatio(now), 1);
    assert.ok(bloom.mightContain(['never-added'], now).every(Boolean), 'saturated: all maybe');
    assert.equal(bloom.fillRatio(now + 2 * WINDOW), 0, 'a new slice starts empty');
  });

  it('handles a bitmap whose size is not a multiple of 8', () => {
    const bloom = createSlicedBloom({ bits: 13, hashes: 3, windowMs: WINDOW });
    const keys = Array.from({ length: 50 }, (_, i) => `k-${i}`);
    bloom.add(keys, 0);
    assert.ok(bloom.mightContain(keys, 0).every(Boolean));
    assert.ok(bloom.fillRatio(0) <= 1);
  });
});
