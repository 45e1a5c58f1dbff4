import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import kafkajs from 'kafkajs';
import { registerZstdCodec, zstdCodec } from './zstd-codec.ts';

/** Every zstd frame starts with this (RFC 8878, 3.1.1), little-endian. */
const ZSTD_MAGIC = 0xfd2fb528;

const { CompressionCodecs, CompressionTypes } = kafkajs;

describe('zstd codec for kafkajs', () => {
  const codec = zstdCodec();

  it('round-trips any bytes through zstd frames', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4_000 }), async (bytes) => {
        const buffer = Buffer.from(bytes);
        const compressed = await codec.compress({ buffer });
        assert.equal(compressed.readUInt32LE(0), ZSTD_MAGIC);
        assert.deepEqual(await codec.decompress(compressed), buffer);
      }),
      { numRuns: 200 },
    );
  });

  it('compresses repetitive event JSON well', async () => {
    const buffer = Buffer.from(
      JSON.stringify(Array.from({ length: 500 }, (_, i) => ({ type: 'page_view', i }))),
    );
    const compressed = await codec.compress({ buffer });
    assert.ok(compressed.length * 5 < buffer.length, `${buffer.length} → ${compressed.length}`);
  });

  it('rejects a corrupt frame with an error, never a crash', async () => {
    const compressed = await codec.compress({ buffer: Buffer.from('x'.repeat(1_000)) });
    await assert.rejects(codec.decompress(Buffer.from('not zstd at all')));
    await assert.rejects(codec.decompress(compressed.subarray(0, compressed.length - 3)));
  });

  it('registers as kafkajs’s ZSTD codec', () => {
    registerZstdCodec();
    const registered = CompressionCodecs[CompressionTypes.ZSTD]() as unknown;
    assert.equal(typeof (registered as { compress: unknown }).compress, 'function');
    assert.equal(typeof (registered as { decompress: unknown }).decompress, 'function');
  });
});
