import { computeConsumerLag } from '@event-pipeline/platform';
import type { ConsumerLag } from '@event-pipeline/platform';
import type { Admin } from 'kafkajs';
import type { ConsumerMetrics } from './consumer-metrics.ts';

/** Reads the topic's watermarks and the group's committed offsets, and sets the lag gauges. */
export async function reportLag(
  admin: Admin,
  { topic, groupId }: { topic: string; groupId: string },
  metrics: ConsumerMetrics,
): Promise<ConsumerLag> {
  const [watermarks, committed] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  const lag = computeConsumerLag(
    watermarks,
    committed.find((entry) => entry.topic === topic)?.partitions ?? [],
  );
  metrics.lag.reset();
  for (const { partition, lag: value } of lag.partitions) {
    metrics.lag.set({ topic, partition: String(partition) }, value);
  }
  metrics.lagTotal.set({ topic }, lag.total);
  return lag;
}
