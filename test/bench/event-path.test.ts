import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BATCH_BODY, BATCH_SIZE } from '../../bench/batch-body.ts';
import { measureEventPath } from '../../bench/event-path-stages.ts';

describe('bench-event-path', () => {
  it('measures every stage of the real code and kafkajs encodes the whole batch', async () => {
    const result = await measureEventPath({ rounds: 1, iterations: 3 });
    assert.equal(result.events, BATCH_SIZE);
    assert.equal(result.stages.length, 5);
    for (const { stage, usPerEvent } of result.stages) {
      assert.ok(usPerEvent > 0, `${stage}: ${usPerEvent} µs`);
    }
    const sum = result.stages.reduce((total, row) => total + row.usPerEvent, 0);
    assert.ok(Math.abs(result.totalUs - sum) < 0.01);
    assert.ok(result.baselineUs > 0);
    // Each record carries its stored event (larger than the client's) and three headers, so the
    // encoded batch must be larger than the request body it came from.
    assert.ok(
      result.recordBatchBytes > Buffer.byteLength(BATCH_BODY),
      `${result.recordBatchBytes} bytes`,
    );
  });
});
