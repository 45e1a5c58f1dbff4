// Kafka's record batch (magic 2) written into one buffer: sizes first, then every byte once.
// The format is Kafka's own (DefaultRecordBatch / DefaultRecord in the Java client); the bytes are
// the ones kafkajs 2.2.4's encoder writes, which the tests check byte for byte.
import { crc32c } from './crc32c.ts';

/** One record as the batch stores it. Strings are written as UTF-8. */
export interface KafkaRecord {
  readonly offsetDelta: number;
  /** Milliseconds after the batch's first timestamp; must fit in 32 bits (checked by the caller). */
  readonly timestampDelta: number;
  readonly key: Buffer | string | null;
  readonly value: Buffer | string | null;
  /** Header names and values, flat: name, value, name, value… */
  readonly headers: readonly (Buffer | string)[];
}

export interface RecordBatchHeader {
  readonly firstOffset: bigint;
  readonly partitionLeaderEpoch: number;
  /** Compression codec (low 3 bits) and the transactional bit. */
  readonly attributes: number;
  readonly lastOffsetDelta: number;
  readonly firstTimestamp: bigint;
  readonly maxTimestamp: bigint;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly firstSequence: number;
  readonly recordCount: number;
}

/**
 * Where each field of a record batch's header starts, from the batch's first byte; `records` is
 * where the records (or the codec's output) begin. The CRC covers `attributes` to the end; the
 * length counts everything after its own field (from `leaderEpoch`).
 */
export const BATCH_LAYOUT = {
  firstOffset: 0,
  length: 8,
  leaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  firstTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  firstSequence: 53,
  recordCount: 57,
  records: 61,
} as const;

/** The bits of a batch's `attributes`. */
export const BATCH_ATTRIBUTES = {
  codecMask: 0x07,
  logAppendTime: 0x08,
  transactional: 0x10,
  control: 0x20,
} as const;

const MAGIC = 2;

/** Zig-zag of a 32-bit integer, as an unsigned 32-bit number. */
function zigZag(value: number): number {
  return ((value << 1) ^ (value >> 31)) >>> 0;
}

function sizeOfUVarInt(unsigned: number): number {
  if (unsigned < 0x80) return 1;
  if (unsigned < 0x4000) return 2;
  if (unsigned < 0x200000) return 3;
  if (unsigned < 0x10000000) return 4;
  return 5;
}

function sizeOfVarInt(value: number): number {
  return sizeOfUVarInt(zigZag(value));
}

function writeVarInt(buffer: Buffer, offset: number, value: number): number {
  let unsigned = zigZag(value);
  while (unsigned >= 0x80) {
    buffer[offset++] = (unsigned & 0x7f) | 0x80;
    unsigned >>>= 7;
  }
  buffer[offset++] = unsigned;
  return offset;
}

function byteLength(bytes: Buffer | string): number {
  return typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length;
}

function writeBytes(
  buffer: Buffer,
  offset: number,
  bytes: Buffer | string,
  length: number,
): number {
  if (typeof bytes === 'string') buffer.write(bytes, offset, length, 'utf8');
  else bytes.copy(buffer, offset);
  return offset + length;
}

/**
 * The records of a batch, one after the other: what the batch carries uncompressed, and what a
 * codec compresses. One allocation for all of them.
 */
export function encodeRecords(records: readonly KafkaRecord[]): Buffer {
  // Byte lengths of every key, value, header name and header value, in write order (-1 for null),
  // and each record's body size: measured once, then used to write.
  const lengths: number[] = [];
  const bodySizes: number[] = [];
  let total = 0;
  for (const record of records) {
    const keyLength = record.key === null ? -1 : byteLength(record.key);
    const valueLength = record.value === null ? -1 : byteLength(record.value);
    lengths.push(keyLength, valueLength);
    let body =
      1 +
      sizeOfVarInt(record.timestampDelta) +
      sizeOfVarInt(record.offsetDelta) +
      sizeOfVarInt(keyLength) +
      Math.max(keyLength, 0) +
      sizeOfVarInt(valueLength) +
      Math.max(valueLength, 0) +
      sizeOfVarInt(record.headers.length / 2);
    for (const part of record.headers) {
      const length = byteLength(part);
      lengths.push(length);
      body += sizeOfVarInt(length) + length;
    }
    bodySizes.push(body);
    total += sizeOfVarInt(body) + body;
  }

  // Every byte below is written (checked at the end), so the buffer need not be zero-filled.
  const buffer = Buffer.allocUnsafe(total);
  let offset = 0;
  let next = 0;
  const writeField = (bytes: Buffer | string | null): void => {
    const length = lengths[next++] ?? -1;
    offset = writeVarInt(buffer, offset, length);
    if (bytes !== null) offset = writeBytes(buffer, offset, bytes, length);
  };
  records.forEach((record, i) => {
    offset = writeVarInt(buffer, offset, bodySizes[i] ?? 0);
    buffer[offset++] = 0; // record attributes: none are defined
    offset = writeVarInt(buffer, offset, record.timestampDelta);
    offset = writeVarInt(buffer, offset, record.offsetDelta);
    writeField(record.key);
    writeField(record.value);
    offset = writeVarInt(buffer, offset, record.headers.length / 2);
    for (const part of record.headers) writeField(part);
  });
  if (offset !== total) throw new Error(`record encoder wrote ${offset} of ${total} bytes`);
  return buffer;
}

/**
 * A whole record batch around `records` (encoded, or compressed by the codec named in
 * `attributes`), with its length and CRC-32C.
 */
export function encodeRecordBatch(header: RecordBatchHeader, records: Buffer): Buffer {
  const at = BATCH_LAYOUT;
  const buffer = Buffer.allocUnsafe(at.records + records.length);
  buffer.writeBigInt64BE(BigInt.asIntN(64, header.firstOffset), at.firstOffset);
  buffer.writeInt32BE(buffer.length - at.leaderEpoch, at.length);
  buffer.writeInt32BE(header.partitionLeaderEpoch, at.leaderEpoch);
  buffer.writeInt8(MAGIC, at.magic);
  buffer.writeInt16BE(header.attributes, at.attributes);
  buffer.writeInt32BE(header.lastOffsetDelta, at.lastOffsetDelta);
  buffer.writeBigInt64BE(BigInt.asIntN(64, header.firstTimestamp), at.firstTimestamp);
  buffer.writeBigInt64BE(BigInt.asIntN(64, header.maxTimestamp), at.maxTimestamp);
  buffer.writeBigInt64BE(BigInt.asIntN(64, header.producerId), at.producerId);
  buffer.writeInt16BE(header.producerEpoch, at.producerEpoch);
  buffer.writeInt32BE(header.firstSequence, at.firstSequence);
  buffer.writeInt32BE(header.recordCount, at.recordCount);
  records.copy(buffer, at.records);
  buffer.writeUInt32BE(crc32c(buffer, at.attributes), at.crc);
  return buffer;
}
