import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompressionTypes } from 'kafkajs';
import { DEFAULT_COMPRESS_MIN_BYTES, batchCompression } from './producer.ts';

describe('batchCompression', () => {
  it('gzips a batch from the threshold up, and leaves smaller ones uncompressed', () => {
    const min = DEFAULT_COMPRESS_MIN_BYTES;
    assert.equal(batchCompression('gzip', min, min), CompressionTypes.GZIP);
    assert.equal(batchCompression('gzip', 768 * 1024, min), CompressionTypes.GZIP);
    assert.equal(batchCompression('gzip', min - 1, min), CompressionTypes.None);
    assert.equal(batchCompression('gzip', 0, 1), CompressionTypes.None);
  });

  it('never compresses when compression is off, whatever the size', () => {
    assert.equal(batchCompression('none', 768 * 1024, 1), CompressionTypes.None);
  });
});
