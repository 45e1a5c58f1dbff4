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

const MAGIC = 2;
/** firstOffset, length, partitionLeaderEpoch, magic, crc: the bytes before the checksummed part. */
const PREFIX_BYTES = 8 + 4 + 4 + 1 + 4;
/** attributes … firstSequence, plus the record count. */
const BODY_HEADER_BYTES = 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4;

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
  const buffer = Buffer.allocUnsafe(PREFIX_BYTES + BODY_HEADER_BYTES + records.length);
  let offset = buffer.writeBigInt64BE(BigInt.asIntN(64, header.firstOffset), 0);
  offset = buffer.writeInt32BE(buffer.length - 12, offset); // everything after the length field
  offset = buffer.writeInt32BE(header.partitionLeaderEpoch, offset);
  offset = buffer.writeInt8(MAGIC, offset);
  const crcAt = offset;
  offset += 4;
  offset = buffer.writeInt16BE(header.attributes, offset);
  offset = buffer.writeInt32BE(header.lastOffsetDelta, offset);
  offset = buffer.writeBigInt64BE(BigInt.asIntN(64, header.firstTimestamp), offset);
  offset = buffer.writeBigInt64BE(BigInt.asIntN(64, header.maxTimestamp), offset);
  offset = buffer.writeBigInt64BE(BigInt.asIntN(64, header.producerId), offset);
  offset = buffer.writeInt16BE(header.producerEpoch, offset);
  offset = buffer.writeInt32BE(header.firstSequence, offset);
  offset = buffer.writeInt32BE(header.recordCount, offset);
  records.copy(buffer, offset);
  buffer.writeUInt32BE(crc32c(buffer, crcAt + 4), crcAt);
  return buffer;
}
