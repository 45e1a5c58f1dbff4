import type { Kysely } from 'kysely';
import type { Database } from './storage/database.ts';
import type { Logger } from '@event-pipeline/platform';
import { ensurePartitions } from './storage/ensure-partitions.ts';
import {
  dayPartition,
  dayStart,
  partitionsAround,
  wantsOwnPartition,
} from './storage/partition-days.ts';

export interface PartitionKeeper {
  /** Creates missing day partitions for these received times (near now only); never throws. */
  ensureFor(receivedAt: readonly string[]): Promise<void>;
  /** Creates the partitions around now (window back, days ahead). */
  ensureAround(): Promise<void>;
}

export function createPartitionKeeper({
  db,
  windowMs,
  daysAhead = 3,
  now,
  logger,
  known = [],
}: {
  db: Kysely<Database>;
  windowMs: number;
  daysAhead?: number;
  now: () => Date;
  logger: Logger;
  known?: readonly string[];
}): PartitionKeeper {
  const ready = new Set(known);
  // Days tried on demand and refused (their rows are in the default partition already) are not
  // tried again for every batch; the periodic ensureAround still retries them.
  const attempted = new Set<string>();
  const create = async (days: ReturnType<typeof partitionsAround>, skipAttempted: boolean) => {
    const missing = days.filter(
      (day) => !ready.has(day.name) && !(skipAttempted && attempted.has(day.name)),
    );
    if (missing.length === 0) return;
    for (const day of missing) attempted.add(day.name);
    try {
      for (const name of await ensurePartitions(db, missing)) ready.add(name);
    } catch (error) {
      // Rows still land in the default partition; storing never depends on this.
      logger.warn({ err: error }, 'could not create day partitions');
    }
  };
  return {
    ensureFor: async (receivedAt) => {
      const at = now();
      const days = new Map<number, ReturnType<typeof dayPartition>>();
      for (const text of receivedAt) {
        const time = new Date(text);
        if (!wantsOwnPartition(time, at, windowMs, daysAhead)) continue;
        const day = dayStart(time);
        if (!days.has(day)) days.set(day, dayPartition(day));
      }
      await create([...days.values()], true);
    },
    ensureAround: () => create(partitionsAround(now(), windowMs, daysAhead), false),
  };
}
