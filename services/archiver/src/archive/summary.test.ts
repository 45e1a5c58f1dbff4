import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatBytes, summaryLine } from './summary.ts';

const cutoff = new Date('2026-03-03T00:00:00Z');

describe('summaryLine', () => {
  it('says what moved, how much and how fast', () => {
    const line = summaryLine(
      {
        status: 'done',
        days: [
          { date: '2026-03-01', rows: 600, bytes: 1024, outcome: 'archived' },
          { date: '2026-03-02', rows: 400, bytes: 2048, outcome: 'archived' },
          { date: '2026-02-01', rows: 0, bytes: 0, outcome: 'dropped-empty-partition' },
        ],
        rows: 1000,
        bytes: 3072,
        seconds: 2,
        cutoff,
      },
      'clicks',
    );
    assert.equal(
      line,
      'archived pipeline clicks: 2 day(s), 1000 rows, 3.0 KiB of Parquet in 2.0 s (500 rows/s); hot data now starts at 2026-03-03T00:00:00.000Z',
    );
  });
  it('names the lock and the empty case', () => {
    assert.match(
      summaryLine({ status: 'locked' }, 'clicks'),
      /another archive run holds the lock for pipeline clicks/,
    );
    assert.match(
      summaryLine({ status: 'done', days: [], rows: 0, bytes: 0, seconds: 0.1, cutoff }, 'clicks'),
      /nothing to archive for pipeline clicks: no rows older than 2026-03-03/,
    );
  });
  it('formats sizes', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(5 * 1024 * 1024 * 1024), '5.0 GiB');
  });
});
