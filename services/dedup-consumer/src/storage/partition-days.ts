const DAY_MS = 86_400_000;

export interface DayPartition {
  /** events_pYYYYMMDD */
  readonly name: string;
  /** Inclusive lower bound, UTC midnight, ISO. */
  readonly from: string;
  /** Exclusive upper bound, the next UTC midnight, ISO. */
  readonly to: string;
}

export const DEFAULT_PARTITION = 'events_default';

export function dayStart(time: Date): number {
  return Math.floor(time.getTime() / DAY_MS) * DAY_MS;
}

export function dayPartition(dayStartMs: number): DayPartition {
  const from = new Date(dayStartMs).toISOString();
  const to = new Date(dayStartMs + DAY_MS).toISOString();
  return { name: `events_p${from.slice(0, 10).replaceAll('-', '')}`, from, to };
}

/**
 * The day partitions to keep ready at `now`: every day the dedup window reaches back to, today,
 * and `daysAhead` days after it, oldest first.
 */
export function partitionsAround(now: Date, windowMs: number, daysAhead: number): DayPartition[] {
  const today = dayStart(now);
  const first = dayStart(new Date(now.getTime() - windowMs));
  const days: DayPartition[] = [];
  for (let day = first; day <= today + daysAhead * DAY_MS; day += DAY_MS) {
    days.push(dayPartition(day));
  }
  return days;
}

/**
 * Whether a received time deserves its own day partition created on demand: only near `now` (a
 * receivedAt far in the past or future goes to the default partition rather than creating
 * partitions without end).
 */
export function wantsOwnPartition(
  receivedAt: Date,
  now: Date,
  windowMs: number,
  daysAhead: number,
): boolean {
  const day = dayStart(receivedAt);
  return (
    day >= dayStart(new Date(now.getTime() - windowMs)) && day <= dayStart(now) + daysAhead * DAY_MS
  );
}
