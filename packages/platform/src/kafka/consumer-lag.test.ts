import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { computeConsumerLag, partitionLag } from './consumer-lag.ts';

describe('consumer lag', () => {
  it('is the high watermark minus the committed offset', () => {
    assert.equal(partitionLag({ high: '120', low: '0' }, '100'), 20);
    assert.equal(partitionLag({ high: '120', low: '0' }, '120'), 0);
  });

  it('counts from the log start when the group never committed ("-1" or absent)', () => {
    assert.equal(partitionLag({ high: '120', low: '30' }, '-1'), 90);
    assert.equal(partitionLag({ high: '120', low: '30' }, undefined), 90);
  });

  it('is never negative, even when the committed offset is ahead of a stale watermark', () => {
    assert.equal(partitionLag({ high: '100', low: '0' }, '150'), 0);
  });

  it('is zero for an empty partition with or without a commit', () => {
    assert.equal(partitionLag({ high: '0', low: '0' }, '-1'), 0);
    assert.equal(partitionLag({ high: '50', low: '50' }, undefined), 0);
    assert.equal(partitionLag({ high: '50', low: '50' }, '50'), 0);
  });

  it('lists every partition of the topic in order and sums the total', () => {
    const lag = computeConsumerLag(
      [
        { partition: 2, high: '10', low: '0' },
        { partition: 0, high: '100', low: '0' },
        { partition: 1, high: '7', low: '7' },
      ],
      [
        { partition: 0, offset: '60' },
        { partition: 2, offset: '-1' },
      ],
    );
    assert.deepEqual(lag, {
      partitions: [
        { partition: 0, lag: 40 },
        { partition: 1, lag: 0 },
        { partition: 2, lag: 10 },
      ],
      total: 50,
    });
  });

  it('property: 0 ≤ lag ≤ high − min(low, committed) and the total is the sum', () => {
    const partition = fc.record({
      low: fc.bigInt({ min: 0n, max: 10n ** 12n }),
      size: fc.bigInt({ min: 0n, max: 10n ** 9n }),
      committed: fc.option(fc.bigInt({ min: -1n, max: 2n * 10n ** 12n }), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(partition, { maxLength: 20 }), (parts) => {
        const watermarks = parts.map((p, i) => ({
          partition: i,
          low: String(p.low),
          high: String(p.low + p.size),
        }));
        const committed = parts.flatMap((p, i) =>
          p.committed === undefined ? [] : [{ partition: i, offset: String(p.committed) }],
        );
        const lag = computeConsumerLag(watermarks, committed);
        assert.equal(lag.partitions.length, parts.length);
        for (const [i, p] of parts.entries()) {
          const got = lag.partitions[i]?.lag ?? -1;
          assert.ok(got >= 0);
          assert.ok(got <= Number(p.size) || (p.committed !== undefined && p.committed < p.low));
        }
        assert.equal(
          lag.total,
          lag.partitions.reduce((sum, entry) => sum + entry.lag, 0),
        );
      }),
    );
  });
});
