/**
 * When the reconciler looks at Kafka again. A topic check is reused for the recheck period
 * (child status changes trigger most reconciles; Kafka needs a look only when the spec changed or
 * the last look is old). A check that could not read the consumer lag, as is usual right after a
 * topic is created while the group coordinator loads, is made again after LAG_RETRY_MS, a few
 * times, so status settles while the pipeline comes up; a lag that stays unreadable falls back to
 * the normal period, so a broken group never costs more than the usual Kafka traffic.
 */
export const LAG_RETRY_MS = 5_000;
export const LAG_RETRIES = 6;

export interface TopicCheck {
  readonly generation: number;
  /** When it was made (ms). */
  readonly at: number;
  /** Checks in a row, this one included, that could not read the lag (0: lag read). */
  readonly lagMisses: number;
}

function retryingLag(check: TopicCheck): boolean {
  return check.lagMisses > 0 && check.lagMisses < LAG_RETRIES;
}

/** Whether the last check still stands for this generation at `now`. */
export function reusable(
  check: TopicCheck | undefined,
  generation: number,
  now: number,
  recheckMs: number,
): boolean {
  if (check?.generation !== generation) return false;
  return now - check.at < (retryingLag(check) ? LAG_RETRY_MS : recheckMs);
}

/** The record of a new successful check, counting lag misses on from the previous one. */
export function nextCheck(
  previous: TopicCheck | undefined,
  generation: number,
  now: number,
  lagRead: boolean,
): TopicCheck {
  const misses = previous?.generation === generation ? previous.lagMisses : 0;
  return { generation, at: now, lagMisses: lagRead ? 0 : misses + 1 };
}

/** A requeue that brings the next lag retry, if one is due. */
export function lagRetryAfter(check: TopicCheck | undefined): number | undefined {
  return check !== undefined && retryingLag(check) ? LAG_RETRY_MS : undefined;
}
