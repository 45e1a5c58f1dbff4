import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jobRegistry, parsePrevious, pushGroupings } from './job-metrics.ts';

const outcome = {
  pipeline: 'clicks',
  rows: 10,
  bytes: 2048,
  days: 2,
  seconds: 1.5,
  finishedAt: new Date('2026-03-10T00:00:00Z'),
};

describe('job metrics', () => {
  it('records the success time on success and carries it over a failure', async () => {
    const ok = await jobRegistry({ ...outcome, succeeded: true }, {}).metrics();
    assert.match(
      ok,
      /eventpipeline_archive_last_success_timestamp_seconds\{pipeline="clicks"\} 1773100800/,
    );
    const previous = parsePrevious(ok);
    assert.deepEqual(previous, { lastSuccess: 1773100800, failures: 0 });
    const failed = await jobRegistry(
      { ...outcome, succeeded: false, finishedAt: new Date('2026-03-11T00:00:00Z') },
      previous,
    ).metrics();
    assert.match(
      failed,
      /eventpipeline_archive_last_success_timestamp_seconds\{pipeline="clicks"\} 1773100800/,
    );
    assert.match(failed, /eventpipeline_archive_failures_total\{pipeline="clicks"\} 1/);
    assert.match(failed, /eventpipeline_archive_last_run_success\{pipeline="clicks"\} 0/);
  });

  it('groups pushed metrics by pipeline and, when known, namespace', () => {
    assert.deepEqual(pushGroupings('clicks'), { instance: 'clicks' });
    assert.deepEqual(pushGroupings('clicks', 'shop'), { instance: 'clicks', namespace: 'shop' });
    assert.notDeepEqual(pushGroupings('clicks', 'shop'), pushGroupings('clicks', 'blog'));
  });
});
