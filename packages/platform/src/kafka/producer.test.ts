import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompressionTypes } from 'kafkajs';
import { DEFAULT_COMPRESS_MIN_BYTES, batchCompression } from './producer.ts';

describe('batchCompression', () => {
  for (const [name, codec] of [
    ['gzip', CompressionTypes.GZIP],
    ['zstd', CompressionTypes.ZSTD],
  ] as const) {
    it(`${name}: compresses a batch from the threshold up, and leaves smaller ones uncompressed`, () => {
      const min = DEFAULT_COMPRESS_MIN_BYTES;
      assert.equal(batchCompression(name, min, min), codec);
      assert.equal(batchCompression(name, 768 * 1024, min), codec);
      assert.equal(batchCompression(name, min - 1, min), CompressionTypes.None);
      assert.equal(batchCompression(name, 0, 1), CompressionTypes.None);
    });
  }

  it('never compresses when compression is off, whatever the size', () => {
    assert.equal(batchCompression('none', 768 * 1024, 1), CompressionTypes.None);
  });
});
