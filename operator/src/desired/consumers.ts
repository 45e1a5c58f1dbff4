import type { V1Deployment, V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import type { EventPipeline } from '../api/resource.ts';
import {
  fromSecret,
  httpProbe,
  kafkaBrokersEnv,
  literal,
  resourcesOf,
  sortedEnv,
} from './containers.ts';
import { childMetadata, labels, names, selectorLabels } from './names.ts';
import type { DesiredOptions } from './options.ts';
import { restrictedContainerSecurity, restrictedPodSecurity } from './pod-security.ts';
import { stable } from './stable.ts';
import { canonicalQuantity } from '../runtime/quantity.ts';

export const CONSUMER_LAG_METRIC = 'eventpipeline_consumer_lag';
export const CONSUMER_METRICS_PORT = 9090;

/**
 * The dedup consumers. `replicas` is deliberately absent: the HPA owns it, and an operator that
 * applied a replica count would fight the autoscaler on every reconcile.
 */
export function desiredConsumerDeployment(
  pipeline: EventPipeline,
  opts: DesiredOptions,
): V1Deployment {
  const { dedup, storage } = pipeline.spec;
  const env = sortedEnv([
    kafkaBrokersEnv(pipeline),
    literal('KAFKA_TOPIC', names.topic(pipeline)),
    literal('KAFKA_GROUP_ID', names.consumerGroup(pipeline)),
    literal('PIPELINE_NAME', pipeline.metadata.name),
    literal('DEDUP_WINDOW', dedup.window),
    literal('PORT', CONSUMER_METRICS_PORT),
    fromSecret('REDIS_URL', dedup.redis.urlSecretRef),
    fromSecret('DATABASE_URL', storage.postgres.urlSecretRef),
  ]);
  return stable({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: childMetadata(pipeline, names.consumer(pipeline), 'dedup-consumer'),
    spec: {
      selector: { matchLabels: selectorLabels(pipeline, 'dedup-consumer') },
      template: {
        metadata: { labels: labels(pipeline, 'dedup-consumer') },
        spec: {
          automountServiceAccountToken: false,
          containers: [
            {
              env,
              image: dedup.image ?? opts.images.consumer,
              livenessProbe: httpProbe('/livez', 'metrics', 10),
              name: 'dedup-consumer',
              ports: [{ containerPort: CONSUMER_METRICS_PORT, name: 'metrics', protocol: 'TCP' }],
              readinessProbe: httpProbe('/readyz', 'metrics', 5),
              resources: resourcesOf(dedup.resources),
              securityContext: restrictedContainerSecurity,
              volumeMounts: [{ mountPath: '/tmp', name: 'tmp' }],
            },
          ],
          securityContext: restrictedPodSecurity,
          terminationGracePeriodSeconds: 30,
          volumes: [{ emptyDir: {}, name: 'tmp' }],
        },
      },
    },
  });
}

/** More consumers than partitions would sit idle in the group: the cap is the partition count. */
export function consumerReplicaBounds(pipeline: EventPipeline): { min: number; max: number } {
  const { minReplicas, maxReplicas } = pipeline.spec.dedup.consumers;
  const partitions = pipeline.spec.kafka.topic.partitions;
  const max = Math.max(1, Math.min(maxReplicas, partitions));
  return { min: Math.min(minReplicas, max), max };
}

export function desiredConsumerHpa(pipeline: EventPipeline): V2HorizontalPodAutoscaler {
  const { min, max } = consumerReplicaBounds(pipeline);
  return stable({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: childMetadata(pipeline, names.consumer(pipeline), 'dedup-consumer'),
    spec: {
      maxReplicas: max,
      metrics: [
        {
          external: {
            metric: {
              name: CONSUMER_LAG_METRIC,
              selector: { matchLabels: { pipeline: pipeline.metadata.name } },
            },
            target: {
              averageValue: canonicalQuantity(pipeline.spec.dedup.consumers.lagThreshold),
              type: 'AverageValue',
            },
          },
          type: 'External',
        },
      ],
      minReplicas: min,
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: names.consumer(pipeline) },
    },
  });
}
