import { parseQuantity } from './quantity.ts';

/**
 * True when every field `desired` sets has the same value in `observed`: what server-side apply
 * would change is empty, ignoring fields the server or other managers added (defaults, status).
 */
export function contains(observed: unknown, desired: unknown): boolean {
  if (desired === undefined) return true;
  if (Array.isArray(desired)) {
    return (
      Array.isArray(observed) &&
      observed.length === desired.length &&
      desired.every((item, i) => contains(observed[i], item))
    );
  }
  if (desired !== null && typeof desired === 'object') {
    if (observed === null || typeof observed !== 'object' || Array.isArray(observed)) return false;
    return Object.entries(desired).every(([key, value]) =>
      contains((observed as Record<string, unknown>)[key], value),
    );
  }
  if (typeof desired === 'number' && typeof observed === 'string') {
    return String(desired) === observed;
  }
  if (typeof desired === 'string' && typeof observed === 'string' && desired !== observed) {
    // The API server rewrites quantities into canonical form ("1000" → "1k", "0.5" → "500m").
    const wanted = parseQuantity(desired);
    return wanted !== undefined && wanted === parseQuantity(observed);
  }
  return observed === desired;
}
