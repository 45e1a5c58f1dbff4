import { parseDuration } from '@event-pipeline/platform';
import type { EventPipeline } from '../api/resource.ts';
import { names } from './names.ts';

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Sorted by key. */
  readonly config: Readonly<Record<string, string>>;
}

/** The events topic and (when enabled) its dead-letter topic. */
export function desiredTopics(pipeline: EventPipeline): TopicSpec[] {
  const { topic, deadLetterTopic } = pipeline.spec.kafka;
  const config: Record<string, string> = {
    'cleanup.policy': 'delete',
    ...(topic.replicationFactor > 1
      ? { 'min.insync.replicas': String(Math.min(2, topic.replicationFactor)) }
      : {}),
    ...topic.config,
    'retention.ms': String(parseDuration(topic.retention)),
  };
  const sorted = Object.fromEntries(Object.entries(config).sort(([a], [b]) => a.localeCompare(b)));
  const events: TopicSpec = {
    name: names.topic(pipeline),
    partitions: topic.partitions,
    replicationFactor: topic.replicationFactor,
    config: sorted,
  };
  if (!deadLetterTopic.enabled) return [events];
  return [
    events,
    {
      name: names.deadLetterTopic(pipeline),
      // Poison messages are rare: a few partitions suffice, never more than the events topic.
      partitions: Math.min(3, topic.partitions),
      replicationFactor: topic.replicationFactor,
      config: sorted,
    },
  ];
}
