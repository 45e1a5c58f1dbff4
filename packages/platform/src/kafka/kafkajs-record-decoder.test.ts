import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { loadRecordDecoders, type KafkajsDecoder } from './kafkajs-record-decoder.ts';
import { loadRecordEncoders } from './kafkajs-record-encoder.ts';
import { BATCH_LAYOUT } from './record-batch.ts';
import { registerZstdCodec } from './zstd-codec.ts';

registerZstdCodec();
const require = createRequire(import.meta.url);
const { originalRecord, originalRecordBatch } = loadRecordEncoders();
const { originalBatchDecoder, fastBatchDecoder, onePassDecoder } = loadRecordDecoders();
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (
  buffer: Buffer,
) => KafkajsDecoder;

const bytes = fc.oneof(
  fc.constant(null),
  fc.string({ maxLength: 30 }),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
);
// Names that repeat (arrays), and names an object literal inherits (kafkajs's lookup finds them).
const headerName = fc.oneof(
  fc.constantFrom('traceparent', 'ep-dedup-key', 'constructor', 'toString', '__proto__', '1'),
  fc.string({ maxLength: 8 }),
);
const message = fc.record({
  key: bytes,
  value: bytes,
  headers: fc.array(fc.tuple(headerName, fc.oneof(fc.string({ maxLength: 10 }), fc.constant(''))), {
    maxLength: 5,
  }),
  // Mostly small deltas; sometimes past 32 bits, which only kafkajs's own code reads.
  timestampDelta: fc.oneof(
    { weight: 9, arbitrary: fc.integer({ min: 0, max: 100_000 }) },
    { weight: 1, arbitrary: fc.integer({ min: 2 ** 32, max: 2 ** 45 }) },
  ),
});
const batchOf = fc.record({
  messages: fc.array(message, { maxLength: 20 }),
  compression: fc.constantFrom(0, 1, 4),
  firstOffset: fc.oneof(
    fc.integer({ min: 0, max: 2 ** 40 }),
    fc.bigInt({ min: 2n ** 53n, max: 2n ** 63n - 2n ** 33n }),
  ),
  firstTimestamp: fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }),
  // Bits the decoder reads: timestamp type (0x08), transactional (0x10), control (0x20).
  flags: fc.constantFrom(0, 0x08, 0x10, 0x20, 0x38),
});
type Batch = typeof batchOf extends fc.Arbitrary<infer T> ? T : never;

/** A record batch as a broker returns it: kafkajs's encoder, then the flags set in place. */
async function encodeBatch(batch: Batch): Promise<Buffer> {
  const records = batch.messages.map(({ headers, ...m }, offsetDelta) => {
    const grouped = Object.create(null) as Record<string, string[]>;
    for (const [name, value] of headers) (grouped[name] ??= []).push(value);
    return originalRecord({ ...m, headers: grouped, offsetDelta });
  });
  const encoded = (await originalRecordBatch({
    compression: batch.compression,
    records,
    firstOffset: String(batch.firstOffset),
    firstTimestamp: batch.firstTimestamp,
    maxTimestamp: batch.firstTimestamp + 99,
    lastOffsetDelta: Math.max(0, records.length - 1),
    producerId: 7,
    producerEpoch: 1,
    firstSequence: 3,
  })) as { buffer: Buffer };
  const buffer = Buffer.from(encoded.buffer);
  const at = BATCH_LAYOUT.attributes;
  buffer.writeInt16BE(buffer.readInt16BE(at) | batch.flags, at);
  return buffer;
}

/** Decodes every batch in `buffer` the way kafkajs's fetch response does, until one fails. */
async function decodeAll(
  decoder: (d: KafkajsDecoder) => Promise<unknown>,
  buffer: Buffer,
): Promise<{ batches: unknown[]; offset: number; error?: string }> {
  const d = new Decoder(buffer);
  const batches: unknown[] = [];
  try {
    while (d.offset + 49 <= buffer.length) batches.push(await decoder(d));
  } catch (error) {
    return {
      batches,
      offset: d.offset,
      error: `${(error as Error).name}: ${(error as Error).message}`,
    };
  }
  return { batches, offset: d.offset };
}

describe('kafkajs record decoder', () => {
  it('builds the same batches and records as kafkajs’s own decoder, compressed or not', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(batchOf, { minLength: 1, maxLength: 3 }), async (batches) => {
        const fetched = Buffer.concat(await Promise.all(batches.map(encodeBatch)));
        const theirs = await decodeAll(originalBatchDecoder, fetched);
        assert.equal(theirs.error, undefined);
        assert.deepEqual(await decodeAll(fastBatchDecoder, fetched), theirs);
      }),
      { numRuns: 300 },
    );
  });

  it('reads the batches ingest writes in one pass, without kafkajs’s code', async () => {
    const ordinary = message.filter(
      (m) => m.timestampDelta < 2 ** 31 && m.headers.every(([name]) => name !== '__proto__'),
    );
    await fc.assert(
      fc.asyncProperty(batchOf, fc.array(ordinary, { maxLength: 20 }), async (batch, messages) => {
        const encoded = await encodeBatch({ ...batch, messages });
        const ours = await onePassDecoder(new Decoder(encoded));
        assert.notEqual(ours, undefined, 'the batch went to kafkajs’s decoder');
        assert.deepEqual(ours, await originalBatchDecoder(new Decoder(encoded)));
      }),
      { numRuns: 200 },
    );
  });

  it('ends a fetch on a partial batch the way kafkajs does', async () => {
    await fc.assert(
      fc.asyncProperty(batchOf, batchOf, fc.nat(), async (first, second, cut) => {
        const whole = Buffer.concat([await encodeBatch(first), await encodeBatch(second)]);
        const firstLength = (await encodeBatch(first)).length;
        const end = firstLength + 49 + (cut % Math.max(1, whole.length - firstLength - 49));
        const fetched = whole.subarray(0, Math.min(end, whole.length - 1));
        const theirs = await decodeAll(originalBatchDecoder, fetched);
        assert.deepEqual(await decodeAll(fastBatchDecoder, fetched), theirs);
      }),
      { numRuns: 100 },
    );
  });

  it('leaves corrupt records to kafkajs, errors included', async () => {
    const batch = await encodeBatch({
      messages: [{ key: 'k', value: 'v', headers: [['h', 'x']], timestampDelta: 0 }],
      compression: 0,
      firstOffset: 5,
      firstTimestamp: 1_700_000_000_000,
      flags: 0,
    });
    for (let at = 61; at < batch.length; at += 1) {
      for (const byte of [0x00, 0x01, 0x7f, 0x80, 0xff]) {
        const corrupt = Buffer.from(batch);
        corrupt[at] = byte;
        assert.deepEqual(
          await decodeAll(fastBatchDecoder, corrupt),
          await decodeAll(originalBatchDecoder, corrupt),
          `byte ${at} set to ${byte}`,
        );
      }
    }
  });
});
