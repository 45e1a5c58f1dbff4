import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BATCH_BODY, BATCH_SIZE } from '../../bench/batch-body.ts';
import { measureEventPath } from '../../bench/event-path-stages.ts';

describe('bench-event-path', () => {
  it('measures every stage of the real code, and both encoders write the whole batch alike', async () => {
    const result = await measureEventPath({ rounds: 1, iterations: 3 });
    assert.equal(result.events, BATCH_SIZE);
    assert.equal(result.stages.length, 6);
    assert.equal(result.alternatives.length, 2);
    for (const { stage, usPerEvent } of [...result.stages, ...result.alternatives]) {
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
    assert.ok(result.encodersAgree, 'kafkajs’s encoder and ours wrote different bytes');
    const { gzip, zstd } = result.compressedBytes;
    assert.ok(gzip > 0 && gzip < result.recordBatchBytes, `gzip: ${gzip} bytes`);
    assert.ok(zstd > 0 && zstd < result.recordBatchBytes, `zstd: ${zstd} bytes`);
  });
});
