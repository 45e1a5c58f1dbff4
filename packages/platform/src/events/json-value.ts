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

/**
 * Whether findJsonObjectProblem would find nothing, without building a path for every value:
 * the check every event pays; the paths are worked out only for a value that fails it. Recursive,
 * but no deeper than maxDepth (a deeper container fails before its children are visited).
 */
export function isJsonObjectWithin(value: unknown, maxDepth: number): boolean {
  return isPlainObject(value) && isJsonContainerWithin(value, 1, maxDepth);
}

function isJsonValueWithin(value: unknown, depth: number, maxDepth: number): boolean {
  switch (typeof value) {
    case 'string':
      return isStorableText(value);
    case 'number':
      return Number.isFinite(value);
    case 'boolean':
      return true;
    case 'object':
      if (value === null) return true;
      if (!Array.isArray(value) && !isPlainObject(value)) return false;
      return depth <= maxDepth && isJsonContainerWithin(value, depth, maxDepth);
    default:
      return false;
  }
}

function isJsonContainerWithin(
  container: Record<string, unknown> | unknown[],
  depth: number,
  maxDepth: number,
): boolean {
  if (Array.isArray(container)) {
    for (const key of Object.keys(container)) {
      if (!isJsonValueWithin(container[Number(key)], depth + 1, maxDepth)) return false;
    }
    return true;
  }
  for (const key of Object.keys(container)) {
    if (FORBIDDEN_KEYS.has(key) || !isStorableText(key)) return false;
    if (!isJsonValueWithin(container[key], depth + 1, maxDepth)) return false;
  }
  return true;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
