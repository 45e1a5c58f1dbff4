/**
 * Writes Redis marks in the background, so the next batch does not wait for the marks of the one
 * just committed. Marks are only a fast path: one still in flight when a later batch probes just
 * sends that batch's duplicates to PostgreSQL, whose unique key drops them. At most `maxInFlight`
 * writes run at once; add() waits for a free slot, which bounds memory if Redis is slow.
 */
export interface MarkWriter {
  /** Call only after the keys' rows are committed in PostgreSQL. */
  add(keys: readonly string[]): Promise<void>;
  /** Resolves when every write started so far has finished. */
  drain(): Promise<void>;
}

/** `write` must not reject: a failed write only costs later duplicates a trip to PostgreSQL. */
export function createMarkWriter(
  write: (keys: readonly string[]) => Promise<void>,
  maxInFlight = 4,
): MarkWriter {
  const inFlight = new Set<Promise<void>>();
  return {
    async add(keys) {
      if (keys.length === 0) return;
      while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
      const running = write(keys).finally(() => inFlight.delete(running));
      inFlight.add(running);
    },
    async drain() {
      await Promise.all(inFlight);
    },
  };
}
