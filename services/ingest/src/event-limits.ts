import type { Limits } from './config.ts';

export interface LimitProblem {
  readonly path: string;
  readonly reason: string;
  /** The metric label for the rejection. */
  readonly kind: 'too_large' | 'too_deep' | 'string_too_long';
}

/**
 * A configured limit the event breaks, checked before the schema: its JSON size, then the depth
 * and string lengths inside properties and context. Iterative, so hostile nesting is safe.
 */
export function findLimitProblem(
  event: unknown,
  /** The event's JSON size, or undefined when it is known not to exceed the limit. */
  eventBytes: number | undefined,
  limits: Limits,
): LimitProblem | undefined {
  if (eventBytes !== undefined && eventBytes > limits.maxEventBytes) {
    return {
      path: '',
      reason: `the event is ${eventBytes} bytes, more than the limit of ${limits.maxEventBytes}`,
      kind: 'too_large',
    };
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return undefined;
  const record = event as Record<string, unknown>;
  for (const field of ['properties', 'context'] as const) {
    const value = record[field];
    if (typeof value === 'object' && value !== null) {
      const problem = walk(value, field, limits);
      if (problem !== undefined) return problem;
    }
  }
  return undefined;
}

function walk(root: object, rootPath: string, limits: Limits): LimitProblem | undefined {
  const pending: { value: unknown; path: string; depth: number }[] = [
    { value: root, path: rootPath, depth: 1 },
  ];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { value, path, depth } = next;
    if (typeof value === 'string') {
      if (value.length > limits.maxStringLength) {
        return {
          path,
          reason: `string longer than ${limits.maxStringLength} characters`,
          kind: 'string_too_long',
        };
      }
    } else if (typeof value === 'object' && value !== null) {
      if (depth > limits.maxNestingDepth) {
        return {
          path,
          reason: `nested deeper than ${limits.maxNestingDepth} levels`,
          kind: 'too_deep',
        };
      }
      const isArray = Array.isArray(value);
      for (const [key, child] of Object.entries(value)) {
        if (!isArray && key.length > limits.maxStringLength) {
          return {
            path,
            reason: `key longer than ${limits.maxStringLength} characters`,
            kind: 'string_too_long',
          };
        }
        pending.push({
          value: child,
          path: isArray ? `${path}[${key}]` : `${path}.${key}`,
          depth: depth + 1,
        });
      }
    }
  }
  return undefined;
}
