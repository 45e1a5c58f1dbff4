import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dayPartition, partitionsAround, wantsOwnPartition } from './partition-days.ts';

const DAY = 86_400_000;

describe('day partitions', () => {
  it('names a partition after its UTC day and bounds it [midnight, next midnight)', () => {
    assert.deepEqual(dayPartition(Date.UTC(2026, 10, 22)), {
      name: 'events_p20261122',
      from: '2026-11-22T00:00:00.000Z',
      to: '2026-11-23T00:00:00.000Z',
    });
  });

  it('keeps ready every day the window reaches back to, today, and the days ahead', () => {
    const now = new Date('2026-11-22T13:00:00Z');
    assert.deepEqual(
      partitionsAround(now, 2 * DAY, 2).map((p) => p.name),
      [
        'events_p20261120',
        'events_p20261121',
        'events_p20261122',
        'events_p20261123',
        'events_p20261124',
      ],
    );
  });

  it('creates partitions on demand only near now; far-off received times go to the default', () => {
    const now = new Date('2026-11-22T13:00:00Z');
    assert.equal(wantsOwnPartition(new Date('2026-11-22T00:00:00Z'), now, DAY, 3), true);
    assert.equal(wantsOwnPartition(new Date('2026-11-25T23:59:59Z'), now, DAY, 3), true);
    assert.equal(wantsOwnPartition(new Date('2026-11-26T00:00:00Z'), now, DAY, 3), false);
    assert.equal(wantsOwnPartition(new Date('2001-01-01T00:00:00Z'), now, DAY, 3), false);
  });
});
