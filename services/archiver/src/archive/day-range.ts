export const DAY_MS = 86_400_000;

/** One UTC day: [from, to). */
export interface DayRange {
  /** YYYY-MM-DD, the hive `date=` value. */
  readonly date: string;
  readonly from: Date;
  readonly to: Date;
}

export function dayRange(dayStartMs: number): DayRange {
  const from = new Date(Math.floor(dayStartMs / DAY_MS) * DAY_MS);
  return { date: from.toISOString().slice(0, 10), from, to: new Date(from.getTime() + DAY_MS) };
}

/**
 * The first instant that stays hot: the start of the UTC day that contains now − retention.
 * Every day ending at or before it is cold. A whole day is the unit, so a retention of 7d keeps
 * between 7 and 8 days of events hot.
 */
export function hotCutoff(now: Date, retentionMs: number): Date {
  return new Date(Math.floor((now.getTime() - retentionMs) / DAY_MS) * DAY_MS);
}

/** The whole UTC days inside [from, to) that end at or before `cutoff`, oldest first. */
export function coldDaysIn(from: Date, to: Date, cutoff: Date): DayRange[] {
  const days: DayRange[] = [];
  const first = Math.ceil(from.getTime() / DAY_MS) * DAY_MS;
  const end = Math.min(to.getTime(), cutoff.getTime());
  for (let day = first; day + DAY_MS <= end; day += DAY_MS) days.push(dayRange(day));
  return days;
}
