import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { measureFetchDecode } from '../../bench/fetch-decode-stages.ts';

describe('bench-fetch-decode', () => {
  it('decodes the same batches with both decoders, for every codec, and measures each', async () => {
    const result = await measureFetchDecode({ rounds: 1, iterations: 2, records: 200 });
    assert.equal(result.records, 200);
    assert.deepEqual(
      result.rows.map((row) => row.codec),
      ['none', 'gzip', 'zstd'],
    );
    assert.ok(
      result.decodersAgree,
      'the one-pass decoder and kafkajs’s returned different records',
    );
    for (const row of result.rows) {
      assert.ok(row.kafkajsUs > 0 && row.onePassUs > 0, JSON.stringify(row));
      assert.ok(row.batchBytes > 200 * 10, `${row.codec}: ${row.batchBytes} bytes`);
    }
    const [none, gzip, zstd] = result.rows;
    assert.ok(
      gzip &&
        zstd &&
        none &&
        gzip.batchBytes < none.batchBytes &&
        zstd.batchBytes < none.batchBytes,
    );
  });
});
