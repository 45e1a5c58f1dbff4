/** Capped exponential backoff: initial·2^(attempt−1), at most max, with ±20 % jitter from `random`. */
export function backoffDelay(
  attempt: number,
  { initialMs, maxMs }: { initialMs: number; maxMs: number },
  random: number,
): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + 0.4 * random));
}
