// The records of a Kafka record batch (magic 2) read in one pass over the bytes: the other half
// of record-batch.ts. Pure: it takes the records' bytes (uncompressed) and returns each record's
// fields, or undefined for anything outside the common shapes (a varint past 32 bits, a negative
// length other than null's -1, a read past the record's end), which the caller hands to kafkajs's
// own decoder so that its behaviour, errors included, stays what it was.

/** One record's fields; key, value and header values are views on the bytes, not copies. */
export interface DecodedRecord {
  readonly attributes: number;
  readonly timestampDelta: number;
  readonly offsetDelta: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Header names and values in order, flat: name, value, name, value… (a value may be null). */
  readonly headers: readonly (string | Buffer | null)[];
}

/** Reading position; `fail` is set, never thrown, when the bytes leave the fast path. */
class Cursor {
  readonly bytes: Buffer;
  pos: number;
  end: number;
  fail = false;
  constructor(bytes: Buffer, start: number, end: number) {
    this.bytes = bytes;
    this.pos = start;
    this.end = end;
  }

  /** A method, not the field, so that TypeScript does not narrow it across reads. */
  failed(): boolean {
    return this.fail;
  }

  /** A zig-zag varint of at most 32 bits (5 bytes), as kafkajs's readVarInt reads it. */
  varInt(): number {
    let unsigned = 0;
    let scale = 1;
    for (let i = 0; i < 5; i += 1) {
      if (this.pos >= this.end) break;
      const byte = this.bytes[this.pos++] ?? 0;
      unsigned += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (unsigned > 0xffffffff) break;
        return (unsigned >>> 1) ^ -(unsigned & 1);
      }
      scale *= 128;
    }
    this.fail = true;
    return 0;
  }

  /** Length-prefixed bytes: null for -1, a view for 0 and up. */
  bytesOrNull(): Buffer | null {
    const length = this.varInt();
    if (length === -1) return null;
    if (length < 0 || this.pos + length > this.end) {
      this.fail = true;
      return null;
    }
    const view = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return view;
  }
}

/**
 * `count` records from `bytes[start, end)`. Each record is length-prefixed, and the next one
 * starts where that length says, as in kafkajs (which reads each record from its own slice).
 */
export function decodeRecords(
  bytes: Buffer,
  start: number,
  end: number,
  count: number,
): DecodedRecord[] | undefined {
  // Pushed, not preallocated: the count comes from the bytes, which may be corrupt.
  const records: DecodedRecord[] = [];
  const cursor = new Cursor(bytes, start, end);
  for (let r = 0; r < count; r += 1) {
    cursor.end = end;
    const length = cursor.varInt();
    if (cursor.failed() || length < 0 || cursor.pos + length > end) return undefined;
    const next = cursor.pos + length;
    cursor.end = next;
    if (cursor.pos >= next) return undefined;
    const attributes = bytes.readInt8(cursor.pos);
    cursor.pos += 1;
    const timestampDelta = cursor.varInt();
    const offsetDelta = cursor.varInt();
    const key = cursor.bytesOrNull();
    const value = cursor.bytesOrNull();
    const headerCount = cursor.varInt();
    if (cursor.failed() || headerCount < -1) return undefined;
    const headers: (string | Buffer | null)[] = [];
    for (let h = 0; h < headerCount; h += 1) {
      const name = cursor.bytesOrNull();
      if (name === null) return undefined; // a null header name: kafkajs's business
      headers.push(name.toString('utf8'), cursor.bytesOrNull());
    }
    if (cursor.failed()) return undefined;
    records.push({ attributes, timestampDelta, offsetDelta, key, value, headers });
    cursor.pos = next;
  }
  return records;
}
