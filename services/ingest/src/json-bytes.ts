/**
 * The size of a value's JSON in UTF-8 bytes, as Buffer.byteLength(JSON.stringify(value)) gives
 * it, measured only when it may exceed `limit`: a walk first adds up a bound that is never below
 * the real size, and only a bound above the limit pays for the serialization. Checking every
 * event of a batch against the per-event limit by serializing it was 3–4 % of ingest's CPU under
 * batched load (profiled); the bound costs about a third of that (97–105 against 307–325 ns per
 * bench event, micro-benchmark).
 */
export function jsonBytesIfOver(value: unknown, limit: number): number | undefined {
  if (jsonBytesBound(value, limit) <= limit) return undefined;
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/** Bytes one UTF-16 unit of a string can take in JSON: `\u001f` or a lone surrogate's `\udc00`. */
const MAX_BYTES_PER_UNIT = 6;
/** JSON.stringify writes a finite number in at most 25 characters (`-0.0000012345678901234567`). */
const MAX_NUMBER_BYTES = 25;

/**
 * A bound on the value's JSON size in bytes, never below it; the walk stops once the bound
 * passes `stopAbove`. Iterative, so hostile nesting is safe; Infinity for anything JSON.parse
 * does not make (the caller then serializes).
 */
export function jsonBytesBound(root: unknown, stopAbove = Infinity): number {
  let total = 0;
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    switch (typeof value) {
      case 'string':
        total += 2 + MAX_BYTES_PER_UNIT * value.length;
        break;
      case 'number':
        total += MAX_NUMBER_BYTES;
        break;
      case 'boolean':
        total += 5;
        break;
      case 'object':
        if (value === null) {
          total += 4;
        } else if (Array.isArray(value)) {
          // Brackets and a comma (at most) per item.
          total += 2 + value.length;
          for (const item of value as unknown[]) pending.push(item);
        } else {
          // Not a plain object (a Date, say, with its toJSON): no bound from its keys.
          const prototype: unknown = Object.getPrototypeOf(value);
          if (prototype !== Object.prototype && prototype !== null) return Infinity;
          // Braces; per member its quoted key, a colon and a comma.
          total += 2;
          // for…in also lists inherited enumerable keys (a polluted Object.prototype): counting
          // them only raises the bound.
          for (const key in value) {
            total += 4 + MAX_BYTES_PER_UNIT * key.length;
            pending.push((value as Record<string, unknown>)[key]);
          }
        }
        break;
      default:
        return Infinity;
    }
    if (total > stopAbove) return total;
  }
  return total;
}
