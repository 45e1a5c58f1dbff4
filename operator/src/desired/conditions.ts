import type { Condition } from '../api/status.ts';

export type ConditionInput = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

/**
 * Conditions in a fixed order; lastTransitionTime moves only when the status flips, so an
 * unchanged world yields an identical list (and no status write).
 */
export function mergeConditions(
  previous: readonly Condition[] | undefined,
  next: readonly ConditionInput[],
  now: string,
  observedGeneration: number,
): Condition[] {
  return next.map((condition) => {
    const before = previous?.find((c) => c.type === condition.type);
    const lastTransitionTime =
      before?.status === condition.status ? before.lastTransitionTime : now;
    return { ...condition, lastTransitionTime, observedGeneration };
  });
}
