import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { loadRecordEncoders, toKafkaRecord } from './kafkajs-record-encoder.ts';
import { BATCH_ATTRIBUTES, BATCH_LAYOUT } from './record-batch.ts';
import { registerZstdCodec } from './zstd-codec.ts';

registerZstdCodec();

const require = createRequire(import.meta.url);
const { originalRecord, originalRecordBatch, fastRecord, fastRecordBatch } = loadRecordEncoders();
const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (
  decoder: unknown,
) => Promise<{ records: { key: Buffer | null; value: Buffer | null }[] }>;
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => unknown;

type Bytes = string | Buffer | null | undefined;
const bytes = (): fc.Arbitrary<Bytes> =>
  fc.oneof(
    fc.constant(null),
    fc.constant(undefined),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  );
const headerValue = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b)),
);
const message = fc.record(
  {
    key: bytes(),
    value: bytes(),
    headers: fc.dictionary(
      fc.string({ unit: 'binary', maxLength: 12 }),
      fc.oneof(headerValue, fc.array(headerValue, { maxLength: 3 })),
      { maxKeys: 4 },
    ),
    timestamp: fc.integer({ min: 0, max: 5_000 }),
  },
  { requiredKeys: [] },
);
const batchOf = fc.record({
  messages: fc.array(message, { maxLength: 25 }),
  compression: fc.constantFrom(0, 1, 4), // none, gzip, zstd
  firstTimestamp: fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }),
  producerId: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 2 ** 40 })),
  producerEpoch: fc.integer({ min: 0, max: 32_767 }),
  firstSequence: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  transactional: fc.boolean(),
});

type Batch = typeof batchOf extends fc.Arbitrary<infer T> ? T : never;

/** What kafkajs's produce request (v3–v7) does with a partition's messages. */
async function encode(
  record: (args: Record<string, unknown>) => unknown,
  recordBatch: (args: Record<string, unknown>) => Promise<unknown>,
  batch: Batch,
): Promise<Buffer> {
  const records = batch.messages.map(({ timestamp = 0, ...m }, i) =>
    record({ ...m, offsetDelta: i, timestampDelta: timestamp }),
  );
  const encoder = (await recordBatch({
    ...batch,
    records,
    maxTimestamp: batch.firstTimestamp + 5_000,
    lastOffsetDelta: records.length - 1,
  })) as { buffer: Buffer; size(): number };
  assert.equal(encoder.size(), encoder.buffer.length);
  return encoder.buffer;
}

describe('kafkajs record encoder', () => {
  it('writes the same bytes as kafkajs’s own encoder, compressed (gzip, zstd) or not', async () => {
    await fc.assert(
      fc.asyncProperty(batchOf, async (batch) => {
        const theirs = await encode(originalRecord, originalRecordBatch, batch);
        const ours = await encode(fastRecord, fastRecordBatch, batch);
        assert.deepEqual(ours, theirs);
      }),
      { numRuns: 300 },
    );
  });

  for (const compression of [0, 1, 4] as const) {
    it(`writes batches kafkajs decodes back to the same records (codec ${compression})`, async () => {
      const batch: Batch = {
        messages: [
          { key: 'user-1', value: Buffer.from('{"a":1}'), headers: { h: ['x', 'y'] } },
          { key: null, value: 'été 😀', headers: {} },
        ],
        compression,
        firstTimestamp: 1_700_000_000_000,
        producerId: 42,
        producerEpoch: 3,
        firstSequence: 9,
        transactional: false,
      };
      const encoded = await encode(fastRecord, fastRecordBatch, batch);
      const attributes = encoded.readInt16BE(BATCH_LAYOUT.attributes);
      assert.equal(attributes & BATCH_ATTRIBUTES.codecMask, compression);
      const decoded = await decodeBatch(new Decoder(encoded));
      assert.deepEqual(
        decoded.records.map((r) => [r.key?.toString() ?? null, r.value?.toString()]),
        [
          ['user-1', '{"a":1}'],
          [null, 'été 😀'],
        ],
      );
    });
  }

  it('leaves what it does not handle to kafkajs, errors included', async () => {
    const batch = (messages: Batch['messages']): Batch => ({
      messages,
      compression: 0,
      firstTimestamp: 1_700_000_000_000,
      producerId: 1,
      producerEpoch: 0,
      firstSequence: 0,
      transactional: false,
    });
    // A timestamp delta past 32 bits: kafkajs's 64-bit varint, through its own code.
    const far = batch([{ key: 'k', value: 'v', timestamp: 2 ** 40 }]);
    assert.equal(toKafkaRecord({ timestampDelta: 2 ** 40 }), undefined);
    assert.deepEqual(
      await encode(fastRecord, fastRecordBatch, far),
      await encode(originalRecord, originalRecordBatch, far),
    );
    // A number as the value: kafkajs throws, and so does the encoder in its place.
    const bad = batch([{ key: 'k', value: 7 as unknown as string }]);
    await assert.rejects(encode(originalRecord, originalRecordBatch, bad), TypeError);
    await assert.rejects(encode(fastRecord, fastRecordBatch, bad), TypeError);
  });
});
