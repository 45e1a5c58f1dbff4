/**
 * Consumer lag as the dedup consumer exports it and the operator's autoscaler reads it: per
 * partition, the high watermark minus the group's committed offset. A partition the group has never
 * committed counts from the log start (high − low watermark), so messages nobody has read yet are
 * lag even before the first commit. Lag is never negative (a committed offset can briefly run ahead
 * of a stale watermark read).
 */

/** One partition's offsets as kafkajs admin.fetchTopicOffsets returns them (decimal strings). */
export interface PartitionWatermarks {
  readonly partition: number;
  /** The offset the next message will get (kafkajs `high`, also `offset`). */
  readonly high: string;
  /** The log start offset (kafkajs `low`). */
  readonly low: string;
}

/** One partition's committed offset as kafkajs admin.fetchOffsets returns it; "-1" when none. */
export interface CommittedOffset {
  readonly partition: number;
  readonly offset: string;
}

export interface PartitionLag {
  readonly partition: number;
  readonly lag: number;
}

export interface ConsumerLag {
  /** Every partition of the watermarks, in partition order. */
  readonly partitions: readonly PartitionLag[];
  readonly total: number;
}

function offsetOf(text: string): bigint | undefined {
  return /^-?\d+$/.test(text.trim()) ? BigInt(text.trim()) : undefined;
}

/** Lag of one partition; `committed` undefined (or negative) means the group never committed. */
export function partitionLag(
  watermarks: Pick<PartitionWatermarks, 'high' | 'low'>,
  committed: string | undefined,
): number {
  const high = offsetOf(watermarks.high) ?? 0n;
  const low = offsetOf(watermarks.low) ?? 0n;
  const done = committed === undefined ? undefined : offsetOf(committed);
  const from = done === undefined || done < 0n ? low : done;
  const lag = high - from;
  return lag > 0n ? Number(lag) : 0;
}

export function computeConsumerLag(
  watermarks: readonly PartitionWatermarks[],
  committed: readonly CommittedOffset[],
): ConsumerLag {
  const committedBy = new Map(committed.map((entry) => [entry.partition, entry.offset]));
  const partitions = [...watermarks]
    .sort((a, b) => a.partition - b.partition)
    .map((entry) => ({
      partition: entry.partition,
      lag: partitionLag(entry, committedBy.get(entry.partition)),
    }));
  return { partitions, total: partitions.reduce((sum, entry) => sum + entry.lag, 0) };
}
