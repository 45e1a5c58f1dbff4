import type { Admin } from 'kafkajs';
import kafkajs from 'kafkajs';
import { computeConsumerLag } from '@event-pipeline/platform';
import type { TopicSpec } from '../desired/topics.ts';
import type { TopicOutcome } from '../desired/status.ts';
import type { ExistingTopic } from './topic-plan.ts';
import { isNoop, planTopic } from './topic-plan.ts';

const { ConfigResourceTypes } = kafkajs;

/** Thrown when the brokers cannot be reached: the reconcile reports KafkaUnavailable and backs off. */
export class KafkaUnavailableError extends Error {
  override readonly name = 'KafkaUnavailableError';
}

const UNREACHABLE = new Set([
  'KafkaJSConnectionError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNonRetriableError',
  'KafkaJSConnectionClosedError',
]);

export function isUnreachable(error: unknown): boolean {
  if (error instanceof KafkaUnavailableError) return true;
  if (!(error instanceof Error)) return false;
  if (UNREACHABLE.has(error.name)) return true;
  const cause = (error as { cause?: unknown }).cause;
  return cause !== undefined && isUnreachable(cause);
}

async function describe(
  admin: Admin,
  topic: TopicSpec,
  existing: Set<string>,
): Promise<ExistingTopic | undefined> {
  if (!existing.has(topic.name)) return undefined;
  const metadata = await admin.fetchTopicMetadata({ topics: [topic.name] });
  const partitions = metadata.topics[0]?.partitions.length ?? 0;
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [
      { type: ConfigResourceTypes.TOPIC, name: topic.name, configNames: Object.keys(topic.config) },
    ],
  });
  const config: Record<string, string> = {};
  for (const entry of described.resources[0]?.configEntries ?? [])
    config[entry.configName] = entry.configValue;
  return { partitions, config };
}

export interface TopicReconcileResult {
  readonly outcome: TopicOutcome;
  /** Kafka admin writes made (create, grow, alter); zero when everything already matched. */
  readonly writes: number;
}

/** Makes every topic match its spec. Kafka errors other than unreachability become the outcome. */
export async function reconcileTopics(
  admin: Admin,
  topics: readonly TopicSpec[],
): Promise<TopicReconcileResult> {
  const existing = new Set(await admin.listTopics());
  let writes = 0;
  let partitions = 0;
  for (const topic of topics) {
    const current = await describe(admin, topic, existing);
    const plan = planTopic(topic, current);
    if (topic === topics[0]) partitions = current?.partitions ?? topic.partitions;
    if (plan.kind === 'refuse') {
      return {
        outcome: { ok: false, reason: plan.reason, message: plan.message, partitions },
        writes,
      };
    }
    if (plan.kind === 'create') {
      writes += 1;
      // waitForLeaders: false. kafkajs's leader wait can reject outside the returned promise
      // (an unhandled rejection under concurrent creates); the next reconcile sees the leaders.
      await admin.createTopics({
        waitForLeaders: false,
        topics: [
          {
            topic: topic.name,
            numPartitions: topic.partitions,
            replicationFactor: topic.replicationFactor,
            configEntries: Object.entries(topic.config).map(([name, value]) => ({ name, value })),
          },
        ],
      });
      continue;
    }
    if (isNoop(plan)) continue;
    if (plan.growTo !== undefined) {
      writes += 1;
      await admin.createPartitions({
        topicPartitions: [{ topic: topic.name, count: plan.growTo }],
      });
      if (topic === topics[0]) partitions = plan.growTo;
    }
    if (plan.alterConfig !== undefined) {
      writes += 1;
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: topic.name,
            configEntries: Object.entries(plan.alterConfig).map(([name, value]) => ({
              name,
              value,
            })),
          },
        ],
      });
    }
  }
  return { outcome: { ok: true, partitions }, writes };
}

/** The consumer group's total lag on the topic (platform's computeConsumerLag). */
export async function consumerLag(admin: Admin, topic: string, groupId: string): Promise<number> {
  const [watermarks, committed] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  return computeConsumerLag(watermarks, committed[0]?.partitions ?? []).total;
}

export async function deleteTopics(admin: Admin, names: readonly string[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const present = names.filter((name) => existing.has(name));
  if (present.length > 0) await admin.deleteTopics({ topics: present, timeout: 10_000 });
}
