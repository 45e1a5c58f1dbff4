// kafkajs 2.2.4 decodes every fetched record through a Decoder object of its own, with Long (BigInt)
// arithmetic and a decimal string round trip for each record's offset and timestamp, and builds
// its headers object by spreading it once per header. This swaps its record-batch decoder for one
// that reads each batch in one pass (record-batch-decode.ts) and builds the same objects: the
// tests compare them with kafkajs's own, and any batch outside the fast path goes to kafkajs's
// code. Installed only on the kafkajs version it was written and tested against.
import { createRequire } from 'node:module';
import {
  type KafkajsPatch,
  patchKafkajs,
  reloadModules,
  setModuleExports,
} from './kafkajs-patch.ts';
import { BATCH_ATTRIBUTES as FLAGS, BATCH_LAYOUT as AT } from './record-batch.ts';
import { decodeRecords, type DecodedRecord } from './record-batch-decode.ts';

const require = createRequire(import.meta.url);

const PATHS = {
  batchDecoder: 'kafkajs/src/protocol/recordBatch/v0/decoder.js',
  compression: 'kafkajs/src/protocol/message/compression/index.js',
  // The fetch response code that takes the batch decoder when it loads (v4–v11 use v4's).
  decodeMessages: 'kafkajs/src/protocol/requests/fetch/v4/decodeMessages.js',
  fetchResponses: [4, 5, 6, 7, 8, 9, 10, 11].map(
    (v) => `kafkajs/src/protocol/requests/fetch/v${v}/response.js`,
  ),
};

/** kafkajs's Decoder as the batch decoder uses it: a buffer and a position in it. */
export interface KafkajsDecoder {
  buffer: Buffer;
  offset: number;
}
export type BatchDecoderFn = (decoder: KafkajsDecoder) => Promise<unknown>;
interface Codec {
  decompress(buffer: Buffer): Promise<Buffer>;
}

/** kafkajs's timestamp types (its TimestampTypes). */
const LOG_APPEND_TIME = 1;
const CREATE_TIME = 0;
/** Offsets and timestamps are added as numbers while the sum stays exact. */
const EXACT = BigInt(Number.MAX_SAFE_INTEGER - 2 ** 32);

/** `base + delta` as kafkajs writes it (Long's decimal string), without BigInt while exact. */
function adder(base: bigint): (delta: number) => string {
  if (base <= EXACT && base >= -EXACT) {
    const number = Number(base);
    return (delta) => String(number + delta);
  }
  return (delta) => (base + BigInt(delta)).toString();
}

/** The headers object kafkajs builds: one value, or an array when a name repeats. */
function headersObject(flat: readonly (string | Buffer | null)[]): Record<string, unknown> | null {
  const headers: Record<string, unknown> = {};
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i] as string;
    // kafkajs spreads into a fresh literal, where `__proto__` is an own property; here it is not.
    if (name === '__proto__') return null;
    const value = flat[i + 1];
    // The same lookup as kafkajs's (inherited names included), for the same result.
    const previous = headers[name];
    headers[name] =
      previous === undefined
        ? value
        : Array.isArray(previous)
          ? previous.concat([value])
          : [previous, value];
  }
  return headers;
}

export interface RecordDecoderModules {
  readonly originalBatchDecoder: BatchDecoderFn;
  readonly fastBatchDecoder: BatchDecoderFn;
  /** The one-pass decoder alone: undefined where fastBatchDecoder hands the batch to kafkajs. */
  readonly onePassDecoder: BatchDecoderFn;
}

let original: BatchDecoderFn | undefined;

/** kafkajs's record-batch decoder and ours in its shape (not installed). */
export function loadRecordDecoders(): RecordDecoderModules {
  original ??= require(PATHS.batchDecoder) as BatchDecoderFn;
  const originalBatchDecoder = original;
  const { lookupCodecByAttributes } = require(PATHS.compression) as {
    lookupCodecByAttributes: (attributes: number) => Codec | null;
  };

  const decode = async (fetchDecoder: KafkajsDecoder): Promise<unknown> => {
    const bytes = fetchDecoder.buffer;
    const start = fetchDecoder.offset;
    if (start + AT.records > bytes.length) return undefined;
    const length = bytes.readInt32BE(start + AT.length);
    const end = start + AT.leaderEpoch + length;
    // A partial batch at the end of a fetch: kafkajs's code raises the error its caller expects.
    if (length < AT.records - AT.leaderEpoch || end > bytes.length) return undefined;

    const attributes = bytes.readInt16BE(start + AT.attributes);
    const firstOffset = bytes.readBigInt64BE(start + AT.firstOffset);
    const firstTimestamp = bytes.readBigInt64BE(start + AT.firstTimestamp);
    const maxTimestamp = bytes.readBigInt64BE(start + AT.maxTimestamp).toString();
    const isControlBatch = (attributes & FLAGS.control) > 0;
    const timestampType = (attributes & FLAGS.logAppendTime) > 0 ? LOG_APPEND_TIME : CREATE_TIME;
    const recordContext = {
      firstOffset: firstOffset.toString(),
      firstTimestamp: firstTimestamp.toString(),
      partitionLeaderEpoch: bytes.readInt32BE(start + AT.leaderEpoch),
      inTransaction: (attributes & FLAGS.transactional) > 0,
      isControlBatch,
      lastOffsetDelta: bytes.readInt32BE(start + AT.lastOffsetDelta),
      producerId: bytes.readBigInt64BE(start + AT.producerId).toString(),
      producerEpoch: bytes.readInt16BE(start + AT.producerEpoch),
      firstSequence: bytes.readInt32BE(start + AT.firstSequence),
      maxTimestamp,
      timestampType,
    };
    const magicByte = bytes.readInt8(start + AT.magic);
    const batchContext = { ...recordContext, magicByte };

    // kafkajs looks the codec up for every batch (an unknown one throws its own error, count or not).
    const compressed = (attributes & FLAGS.codecMask) !== 0;
    const codec = compressed ? lookupCodecByAttributes(attributes) : null;
    if (compressed && codec === null) return undefined; // codec bits 5–7: kafkajs's business
    const count = bytes.readInt32BE(start + AT.recordCount);
    let decoded: DecodedRecord[] | undefined;
    if (count <= 0) {
      // kafkajs: no records for 0 and -1 (and any count ≤ 0 of a compressed batch); other
      // negative counts of an uncompressed batch throw in its code.
      if (count < -1 && codec === null) return undefined;
      decoded = [];
    } else if (codec === null) {
      decoded = decodeRecords(bytes, start + AT.records, end, count);
    } else {
      const records = await codec.decompress(bytes.subarray(start + AT.records, end));
      decoded = decodeRecords(records, 0, records.length, count);
    }
    if (decoded === undefined) return undefined;

    const offsetOf = adder(firstOffset);
    const timestampOf = timestampType === LOG_APPEND_TIME ? undefined : adder(firstTimestamp);
    const records: unknown[] = [];
    for (const record of decoded) {
      const headers = headersObject(record.headers);
      if (headers === null) return undefined;
      records.push({
        magicByte,
        attributes: record.attributes,
        timestamp: timestampOf === undefined ? maxTimestamp : timestampOf(record.timestampDelta),
        offset: offsetOf(record.offsetDelta),
        key: record.key,
        value: record.value,
        headers,
        isControlRecord: isControlBatch,
        batchContext,
      });
    }
    fetchDecoder.offset = end;
    return { ...recordContext, records };
  };

  const fastBatchDecoder: BatchDecoderFn = async (fetchDecoder) => {
    const start = fetchDecoder.offset;
    const batch = await decode(fetchDecoder);
    if (batch !== undefined) return batch;
    fetchDecoder.offset = start;
    return originalBatchDecoder(fetchDecoder);
  };
  return { originalBatchDecoder, fastBatchDecoder, onePassDecoder: decode };
}

let installed: KafkajsPatch | undefined;

/** Makes kafkajs's fetches decode through the one-pass decoder. Idempotent. */
export function installRecordDecoder(): KafkajsPatch {
  installed ??= patchKafkajs('record decoder', () => {
    setModuleExports(PATHS.batchDecoder, loadRecordDecoders().fastBatchDecoder);
    // Fetch responses loaded before this took the old decoder: the next require loads them anew.
    reloadModules([PATHS.decodeMessages, ...PATHS.fetchResponses]);
  });
  return installed;
}
