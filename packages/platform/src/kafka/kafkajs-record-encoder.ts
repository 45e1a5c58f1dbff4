// kafkajs 2.2.4 encodes every record of a produce request into buffers of its own (a zero-filled
// 512-byte `Buffer.alloc` per record and per header, a `Buffer.from([...])` per varint, BigInt
// arithmetic per timestamp delta), then copies them together: 14–18 µs of CPU per event in
// `make bench-event-path`, most of ingest's work per batched event. kafkajs has no hook for its
// record encoder, so this swaps its two internal modules for ones that write each batch once, into
// one buffer (record-batch.ts). The bytes are the same: the tests compare them with kafkajs's own
// encoder byte for byte, and anything outside the shapes handled here goes to kafkajs's code.
//
// Installed only on the kafkajs version it was written and tested against; on any other the
// original encoder stays, and `installRecordEncoder` says so.
import { createRequire } from 'node:module';
import {
  type KafkajsPatch,
  patchKafkajs,
  reloadModules,
  setModuleExports,
} from './kafkajs-patch.ts';
import {
  BATCH_ATTRIBUTES,
  encodeRecordBatch,
  encodeRecords,
  type KafkaRecord,
} from './record-batch.ts';

const require = createRequire(import.meta.url);

const PATHS = {
  record: 'kafkajs/src/protocol/recordBatch/record/v0/index.js',
  recordBatch: 'kafkajs/src/protocol/recordBatch/v0/index.js',
  encoder: 'kafkajs/src/protocol/encoder.js',
  long: 'kafkajs/src/utils/long.js',
  compression: 'kafkajs/src/protocol/message/compression/index.js',
  // The produce requests that take Record and RecordBatch when they load (v4–v7 load v3).
  produceRequests: [3, 4, 5, 6, 7].map(
    (v) => `kafkajs/src/protocol/requests/produce/v${v}/request.js`,
  ),
};

type RecordArgs = Record<string, unknown>;
type RecordFn = (args: RecordArgs) => unknown;
interface BatchArgs {
  compression?: number;
  firstOffset?: unknown;
  firstTimestamp?: unknown;
  maxTimestamp?: unknown;
  partitionLeaderEpoch?: number;
  lastOffsetDelta?: number;
  transactional?: boolean;
  producerId?: unknown;
  producerEpoch?: number;
  firstSequence?: number;
  records?: unknown[];
}
type RecordBatchFn = (args: BatchArgs) => Promise<unknown>;

interface KafkajsEncoder {
  buf: Buffer;
  offset: number;
}
interface Codec {
  compress(encoder: KafkajsEncoder): Promise<Buffer>;
}

/** What our `Record` returns: the record, checked, or the arguments kafkajs's own code must take. */
class PendingRecord {
  readonly args: RecordArgs;
  readonly record: KafkaRecord | undefined;
  constructor(args: RecordArgs, record: KafkaRecord | undefined) {
    this.args = args;
    this.record = record;
  }
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function isBytes(value: unknown): value is Buffer | string {
  return typeof value === 'string' || Buffer.isBuffer(value);
}

function isInt32(value: unknown): value is number {
  return (
    Number.isInteger(value) && (value as number) >= INT32_MIN && (value as number) <= INT32_MAX
  );
}

/**
 * The record in the shapes handled here (what kafkajs's Record takes: key and value a string, a
 * Buffer or null; headers an object of strings, Buffers or arrays of them), else undefined. kafkajs
 * treats undefined as null for key and value and `{}` for headers.
 */
export function toKafkaRecord(args: RecordArgs): KafkaRecord | undefined {
  const { offsetDelta = 0, timestampDelta = 0, key = null, value = null, headers = {} } = args;
  if (!isInt32(offsetDelta) || !isInt32(timestampDelta)) return undefined;
  if ((key !== null && !isBytes(key)) || (value !== null && !isBytes(value))) return undefined;
  if (typeof headers !== 'object' || headers === null) return undefined;
  const flat: (Buffer | string)[] = [];
  for (const name of Object.keys(headers)) {
    const headerValue = (headers as Record<string, unknown>)[name];
    for (const item of Array.isArray(headerValue) ? headerValue : [headerValue]) {
      if (!isBytes(item)) return undefined;
      flat.push(name, item);
    }
  }
  return { offsetDelta, timestampDelta, key, value, headers: flat };
}

/** kafkajs's own Record and RecordBatch. */
let originals: { readonly record: RecordFn; readonly recordBatch: RecordBatchFn } | undefined;

export interface RecordEncoderModules {
  readonly originalRecord: RecordFn;
  readonly originalRecordBatch: RecordBatchFn;
  readonly fastRecord: RecordFn;
  readonly fastRecordBatch: RecordBatchFn;
}

/** Our Record and RecordBatch, built on kafkajs's own Encoder, Long and codecs (not installed). */
export function loadRecordEncoders(): RecordEncoderModules {
  // Taken on the first call, which installRecordEncoder makes before it swaps anything.
  originals ??= {
    record: require(PATHS.record) as RecordFn,
    recordBatch: (require(PATHS.recordBatch) as { RecordBatch: RecordBatchFn }).RecordBatch,
  };
  const { record: originalRecord, recordBatch: originalRecordBatch } = originals;
  const Encoder = require(PATHS.encoder) as { prototype: object };
  const Long = require(PATHS.long) as { fromValue(value: unknown): { value: bigint } };
  const { lookupCodec } = require(PATHS.compression) as {
    lookupCodec: (type: number) => Codec | null;
  };
  const codecOf = (compression: number): Codec => {
    const codec = lookupCodec(compression);
    if (codec === null) throw new Error(`unknown Kafka compression codec ${compression}`);
    return codec;
  };

  const asEncoder = (buffer: Buffer): KafkajsEncoder => {
    const encoder = Object.create(Encoder.prototype) as KafkajsEncoder;
    encoder.buf = buffer;
    encoder.offset = buffer.length;
    return encoder;
  };
  const int64 = (value: unknown): bigint => Long.fromValue(value).value;

  const fastRecord: RecordFn = (args) => new PendingRecord(args, toKafkaRecord(args));

  const fastRecordBatch: RecordBatchFn = async (batch) => {
    const input = batch.records ?? [];
    const records: KafkaRecord[] = [];
    for (const item of input) {
      if (!(item instanceof PendingRecord) || item.record === undefined) break;
      records.push(item.record);
    }
    if (records.length !== input.length) {
      // Something this encoder does not handle: all of the batch goes through kafkajs's code.
      return originalRecordBatch({
        ...batch,
        records: input.map((item) =>
          item instanceof PendingRecord ? originalRecord(item.args) : item,
        ),
      });
    }
    const {
      compression = 0,
      firstOffset = 0,
      firstTimestamp = Date.now(),
      maxTimestamp = Date.now(),
      partitionLeaderEpoch = 0,
      lastOffsetDelta = 0,
      transactional = false,
      producerId = -1,
      producerEpoch = 0,
      firstSequence = 0,
    } = batch;
    const encoded = encodeRecords(records);
    const payload =
      compression === 0 ? encoded : await codecOf(compression).compress(asEncoder(encoded));
    return asEncoder(
      encodeRecordBatch(
        {
          firstOffset: int64(firstOffset),
          partitionLeaderEpoch,
          attributes:
            (compression & BATCH_ATTRIBUTES.codecMask) |
            (transactional ? BATCH_ATTRIBUTES.transactional : 0),
          lastOffsetDelta,
          firstTimestamp: int64(firstTimestamp),
          maxTimestamp: int64(maxTimestamp),
          producerId: int64(producerId),
          producerEpoch,
          firstSequence,
          recordCount: records.length,
        },
        payload,
      ),
    );
  };
  return { originalRecord, originalRecordBatch, fastRecord, fastRecordBatch };
}

let installed: KafkajsPatch | undefined;

/**
 * Makes kafkajs produce through the one-buffer encoder. Idempotent; safe to call after kafkajs has
 * produced (the produce request modules are reloaded so they take the new encoder).
 */
export function installRecordEncoder(): KafkajsPatch {
  installed ??= patchKafkajs('record encoder', () => {
    const modules = loadRecordEncoders();
    setModuleExports(PATHS.record, modules.fastRecord);
    const batchModule = require(PATHS.recordBatch) as { RecordBatch: RecordBatchFn };
    batchModule.RecordBatch = modules.fastRecordBatch;
    reloadModules(PATHS.produceRequests);
  });
  return installed;
}
