import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { installRecordDecoder, type KafkajsDecoder } from './kafkajs-record-decoder.ts';
import { KAFKAJS_VERSION } from './kafkajs-patch.ts';
import { loadRecordEncoders } from './kafkajs-record-encoder.ts';

const require = createRequire(import.meta.url);
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (
  buffer: Buffer,
) => KafkajsDecoder;
const DECODE_MESSAGES = 'kafkajs/src/protocol/requests/fetch/v4/decodeMessages.js';
const BATCH_DECODER = 'kafkajs/src/protocol/recordBatch/v0/decoder.js';
type DecodeMessages = (decoder: KafkajsDecoder) => Promise<unknown[]>;

/** A partition's record set as a fetch response (v4–v11) carries it: its size, then batches. */
async function recordSet(): Promise<Buffer> {
  const { originalRecord, originalRecordBatch } = loadRecordEncoders();
  const batches: Buffer[] = [];
  for (const [compression, firstOffset] of [
    [0, 0],
    [1, 3],
  ] as const) {
    const records = Array.from({ length: 3 }, (_, i) =>
      originalRecord({
        offsetDelta: i,
        timestampDelta: i,
        key: `user-${i}`,
        value: Buffer.from(JSON.stringify({ i })),
        headers: { traceparent: 't', 'ep-dedup-key': `k-${i}` },
      }),
    );
    const batch = (await originalRecordBatch({
      compression,
      records,
      firstOffset: String(firstOffset),
      firstTimestamp: 1_700_000_000_000,
      maxTimestamp: 1_700_000_000_002,
      lastOffsetDelta: 2,
    })) as { buffer: Buffer };
    batches.push(batch.buffer);
  }
  const body = Buffer.concat(batches);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

describe('installing the record decoder into kafkajs', () => {
  it('makes kafkajs’s fetch responses decode through it, with the records unchanged', async () => {
    assert.equal((require('kafkajs/package.json') as { version: string }).version, KAFKAJS_VERSION);
    const set = await recordSet();
    // Decode first, so the fetch modules are loaded with kafkajs's own decoder.
    const decodeBefore = require(DECODE_MESSAGES) as DecodeMessages;
    const before = await decodeBefore(new Decoder(set));
    const originalDecoder = require(BATCH_DECODER) as unknown;
    assert.equal(before.length, 6);

    assert.deepEqual(installRecordDecoder(), { installed: true });
    assert.deepEqual(installRecordDecoder(), { installed: true }, 'a second call changes nothing');
    assert.notEqual(require(BATCH_DECODER), originalDecoder, 'the batch decoder is replaced');
    const decodeAfter = require(DECODE_MESSAGES) as DecodeMessages;
    assert.notEqual(decodeAfter, decodeBefore, 'the fetch code is loaded anew');
    assert.deepEqual(await decodeAfter(new Decoder(set)), before);
  });
});
