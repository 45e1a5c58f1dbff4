import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { coldDaysIn, dayRange, hotCutoff } from './day-range.ts';

const DAY = 86_400_000;

describe('hotCutoff', () => {
  it('is the UTC midnight of the day that contains now minus the retention', () => {
    const now = new Date('2026-03-10T15:30:00Z');
    assert.equal(hotCutoff(now, 7 * DAY).toISOString(), '2026-03-03T00:00:00.000Z');
    assert.equal(hotCutoff(now, 12 * 3_600_000).toISOString(), '2026-03-10T00:00:00.000Z');
  });
});

describe('coldDaysIn', () => {
  const cutoff = new Date('2026-03-03T00:00:00Z');
  it('lists the whole days of a range that end by the cutoff', () => {
    const days = coldDaysIn(
      new Date('2026-03-01T00:00:00Z'),
      new Date('2026-03-05T00:00:00Z'),
      cutoff,
    );
    assert.deepEqual(
      days.map((day) => day.date),
      ['2026-03-01', '2026-03-02'],
    );
  });
  it('skips a partial first day and a day crossing the cutoff', () => {
    const days = coldDaysIn(
      new Date('2026-02-27T12:00:00Z'),
      new Date('2026-03-03T06:00:00Z'),
      cutoff,
    );
    assert.deepEqual(
      days.map((day) => day.date),
      ['2026-02-28', '2026-03-01', '2026-03-02'],
    );
  });
  it('returns nothing for a range inside the hot window', () => {
    assert.deepEqual(coldDaysIn(cutoff, new Date(cutoff.getTime() + DAY), cutoff), []);
  });
});

describe('dayRange', () => {
  it('normalizes to the UTC day and names it', () => {
    const day = dayRange(Date.parse('2026-03-01T13:00:00Z'));
    assert.equal(day.date, '2026-03-01');
    assert.equal(day.to.getTime() - day.from.getTime(), DAY);
  });
});
