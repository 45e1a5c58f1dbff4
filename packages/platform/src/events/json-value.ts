export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export interface JsonProblem {
  /** Where, as `a.b[2].c`; empty for the value itself. */
  readonly path: string;
  readonly message: string;
}

const FORBIDDEN_KEYS = new Set(['__proto__']);

/**
 * Whether text can be stored as-is: well-formed UTF-16 (no lone surrogates) and no NUL, which
 * PostgreSQL text and jsonb refuse.
 */
export function isStorableText(text: string): boolean {
  return text.isWellFormed() && !text.includes('\u0000');
}

/**
 * A reason `value` is not a plain JSON object of at most `maxDepth` levels (the object itself
 * is level 1), or undefined. Iterative, so hostile nesting cannot overflow the stack.
 */
export function findJsonObjectProblem(value: unknown, maxDepth: number): JsonProblem | undefined {
  if (!isPlainObject(value)) return { path: '', message: 'must be a JSON object' };
  const pending: { value: unknown; path: string; depth: number }[] = [
    { value, path: '', depth: 1 },
  ];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { path, depth } = next;
    const current = next.value;
    if (typeof current === 'string') {
      if (!isStorableText(current))
        return { path, message: 'text must be valid Unicode without NUL' };
    } else if (typeof current === 'number') {
      if (!Number.isFinite(current)) return { path, message: 'number is out of range' };
    } else if (Array.isArray(current) || isPlainObject(current)) {
      if (depth > maxDepth) return { path, message: `nested deeper than ${maxDepth} levels` };
      for (const [key, child] of Object.entries(current)) {
        const childPath = Array.isArray(current)
          ? `${path}[${key}]`
          : path === ''
            ? key
            : `${path}.${key}`;
        if (!Array.isArray(current)) {
          if (FORBIDDEN_KEYS.has(key))
            return { path: childPath, message: 'key "__proto__" is not allowed' };
          if (!isStorableText(key))
            return { path, message: 'keys must be valid Unicode without NUL' };
        }
        pending.push({ value: child, path: childPath, depth: depth + 1 });
      }
    } else if (current !== null && typeof current !== 'boolean') {
      return { path, message: `${typeof current} is not a JSON value` };
    }
  }
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
