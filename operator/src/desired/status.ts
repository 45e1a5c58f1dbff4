import type { V1CronJob, V1Deployment, V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import type { EventPipeline } from '../api/resource.ts';
import type { ConditionType, EventPipelineStatus } from '../api/status.ts';
import type { ConditionInput } from './conditions.ts';
import { mergeConditions } from './conditions.ts';
import { names } from './names.ts';
import { stable } from './stable.ts';

export type TopicOutcome =
  | { readonly ok: true; readonly partitions: number }
  | {
      readonly ok: false;
      readonly reason: string;
      readonly message: string;
      readonly partitions?: number;
    };

/** What the reconcile saw; everything computeStatus needs, nothing it has to fetch. */
export interface Observed {
  readonly now: string;
  readonly topic: TopicOutcome;
  readonly ingest: V1Deployment | undefined;
  readonly consumer: V1Deployment | undefined;
  readonly hpa: V2HorizontalPodAutoscaler | undefined;
  readonly cronJob: V1CronJob | undefined;
  readonly lag: number | undefined;
}

function condition(
  type: ConditionType,
  ok: boolean,
  reason: string,
  message: string,
): ConditionInput {
  return { type, status: ok ? 'True' : 'False', reason, message };
}

function deploymentCurrent(deployment: V1Deployment): boolean {
  return (deployment.status?.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0);
}

function ingestCondition(
  pipeline: EventPipeline,
  ingest: V1Deployment | undefined,
): ConditionInput {
  if (ingest === undefined)
    return condition(
      'IngestReady',
      false,
      'NotCreated',
      'the ingest Deployment does not exist yet',
    );
  const want = pipeline.spec.ingest.replicas;
  const ready = ingest.status?.readyReplicas ?? 0;
  const updated = ingest.status?.updatedReplicas ?? 0;
  if (!deploymentCurrent(ingest) || ready < want || updated < want) {
    return condition('IngestReady', false, 'Progressing', `${ready}/${want} ingest replicas ready`);
  }
  return condition('IngestReady', true, 'Available', `${ready}/${want} ingest replicas ready`);
}

function consumersCondition(
  consumer: V1Deployment | undefined,
  hpa: V2HorizontalPodAutoscaler | undefined,
): ConditionInput {
  if (consumer === undefined || hpa === undefined) {
    return condition(
      'ConsumersReady',
      false,
      'NotCreated',
      'the consumer Deployment or its autoscaler does not exist yet',
    );
  }
  const ready = consumer.status?.readyReplicas ?? 0;
  if (!deploymentCurrent(consumer) || ready < 1) {
    return condition('ConsumersReady', false, 'Progressing', `${ready} consumer replicas ready`);
  }
  return condition('ConsumersReady', true, 'Available', `${ready} consumer replicas ready`);
}

function archiveCondition(cronJob: V1CronJob | undefined): ConditionInput {
  if (cronJob === undefined)
    return condition('ArchiveReady', false, 'NotCreated', 'the archive CronJob does not exist yet');
  return condition('ArchiveReady', true, 'Scheduled', `archive runs on "${cronJob.spec.schedule}"`);
}

function topicCondition(pipeline: EventPipeline, topic: TopicOutcome): ConditionInput {
  if (!topic.ok) return condition('TopicReady', false, topic.reason, topic.message);
  return condition(
    'TopicReady',
    true,
    'Reconciled',
    `topic ${names.topic(pipeline)} has ${topic.partitions} partitions`,
  );
}

/** Pure: the status the pipeline should have given what was observed. */
export function computeStatus(pipeline: EventPipeline, observed: Observed): EventPipelineStatus {
  const parts = [
    topicCondition(pipeline, observed.topic),
    ingestCondition(pipeline, observed.ingest),
    consumersCondition(observed.consumer, observed.hpa),
    archiveCondition(observed.cronJob),
  ];
  const failing = parts.find((c) => c.status !== 'True');
  const ready: ConditionInput =
    failing === undefined
      ? condition('Ready', true, 'Ready', 'every part of the pipeline is ready')
      : condition('Ready', false, `${failing.type.replace(/Ready$/, '')}NotReady`, failing.message);
  const generation = pipeline.metadata.generation ?? 0;
  const partitions = observed.topic.partitions;
  const lastSchedule = observed.cronJob?.status?.lastScheduleTime;
  const lastSuccess = observed.cronJob?.status?.lastSuccessfulTime;
  return stable({
    observedGeneration: generation,
    conditions: mergeConditions(
      pipeline.status?.conditions,
      [ready, ...parts],
      observed.now,
      generation,
    ),
    topic: {
      name: names.topic(pipeline),
      partitions: partitions ?? 0,
      ...(pipeline.spec.kafka.deadLetterTopic.enabled
        ? { deadLetterTopic: names.deadLetterTopic(pipeline) }
        : {}),
    },
    ingest: {
      endpoint: names.ingestEndpoint(pipeline),
      readyReplicas: observed.ingest?.status?.readyReplicas ?? 0,
    },
    consumers: {
      replicas: observed.consumer?.status?.replicas ?? 0,
      ...(observed.lag === undefined ? {} : { lag: observed.lag }),
    },
    ...(lastSchedule === undefined && lastSuccess === undefined
      ? {}
      : {
          archive: {
            ...(lastSchedule === undefined
              ? {}
              : { lastScheduleTime: new Date(lastSchedule).toISOString() }),
            ...(lastSuccess === undefined
              ? {}
              : { lastSuccessfulTime: new Date(lastSuccess).toISOString() }),
          },
        }),
  });
}
