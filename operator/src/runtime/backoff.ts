export interface BackoffOptions {
  /** Delay after the first failure. */
  readonly baseMs: number;
  /** No delay is ever longer than this. */
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1_000, maxMs: 60_000 };

/** Capped exponential backoff: base, 2·base, 4·base, … up to max, for the nth failure (n ≥ 1). */
export function backoffDelay(failures: number, { baseMs, maxMs }: BackoffOptions): number {
  if (failures < 1) return 0;
  // 2^exponent overflows to Infinity long after the cap; clamp the exponent to stay finite.
  const exponent = Math.min(failures - 1, 52);
  return Math.min(baseMs * 2 ** exponent, maxMs);
}
