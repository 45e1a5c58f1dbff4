import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bloomPositions, sliceMsFor, sliceTtlMs, slicesToCheck } from './bloom-math.ts';

describe('bloom filter arithmetic', () => {
  it('gives k stable positions inside the bitmap', () => {
    const shape = { bits: 1024, hashes: 4 };
    const positions = bloomPositions('evt-1', shape);
    assert.equal(positions.length, 4);
    assert.deepEqual(bloomPositions('evt-1', shape), positions);
    assert.ok(positions.every((p) => Number.isInteger(p) && p >= 0 && p < 1024));
    assert.notDeepEqual(bloomPositions('evt-2', shape), positions);
  });

  it('never gives a negative or out-of-range position, whatever the key', () => {
    const shape = { bits: 2 ** 23, hashes: 4 };
    for (let i = 0; i < 20_000; i += 1) {
      for (const p of bloomPositions(`key-${i}`, shape)) {
        assert.ok(Number.isSafeInteger(p) && p >= 0 && p < shape.bits, `key-${i}: ${p}`);
      }
    }
  });

  it('spreads keys well enough for the false-positive rate Bloom filters promise', () => {
    // 10,000 keys in 100,000 bits with k = 4: theory gives (1 − e^(−0.4))⁴ ≈ 1.2 %.
    const shape = { bits: 100_000, hashes: 4 };
    const set = new Uint8Array(shape.bits);
    // Keys alike but for a counter, as hashed dedup keys and client ids often are.
    for (let i = 0; i < 10_000; i += 1) {
      for (const p of bloomPositions(`bench-${i}`, shape)) set[p] = 1;
    }
    // Each bit is set with probability 1 − e^(−0.4) ≈ 33 % when the positions are spread evenly.
    const setShare = set.reduce((sum, bit) => sum + bit, 0) / shape.bits;
    assert.ok(setShare > 0.31 && setShare < 0.35, `share of bits set ${setShare}`);
    let falsePositives = 0;
    const probes = 50_000;
    for (let i = 0; i < probes; i += 1) {
      const positions = bloomPositions(`bench-${10_000 + i}`, shape);
      if (positions.every((p) => set[p] === 1)) falsePositives += 1;
    }
    const rate = falsePositives / probes;
    assert.ok(rate > 0.005 && rate < 0.02, `false-positive rate ${rate}`);
  });

  it('checks every slice overlapping the window, newest first', () => {
    const hour = 3_600_000;
    assert.deepEqual(slicesToCheck(10 * hour + 5, 3 * hour, hour), [10, 9, 8, 7]);
    assert.equal(slicesToCheck(Date.now(), 24 * hour, sliceMsFor(24 * hour)).length, 2);
  });

  it('keeps a slice alive until the window has passed its last write', () => {
    const hour = 3_600_000;
    assert.equal(sliceTtlMs(24 * hour, hour), 25 * hour);
    assert.equal(sliceMsFor(24 * hour), 24 * hour);
    assert.equal(sliceMsFor(1_000), 60_000);
  });
});
