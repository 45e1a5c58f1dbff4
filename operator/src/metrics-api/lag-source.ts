import type * as k8s from '@kubernetes/client-node';
import type { EventPipelineObject } from '../api/resource.ts';
import { parsePipeline } from '../api/resource.ts';
import { CONSUMER_LAG_METRIC } from '../desired/consumers.ts';
import { names } from '../desired/names.ts';
import type { AdminPool } from '../kafka/admin-pool.ts';
import type { SecretReader } from '../kafka/brokers.ts';
import { brokersOf } from '../kafka/brokers.ts';
import { consumerLag } from '../kafka/topic-reconciler.ts';
import type { MetricSource, MetricValue } from './external-metrics.ts';

export interface LagSourceOptions {
  readonly pipelines: k8s.ObjectCache<EventPipelineObject>;
  readonly admins: AdminPool;
  readonly readSecret: SecretReader;
}

/**
 * eventpipeline_consumer_lag per pipeline: the sum over partitions of high watermark − committed
 * offset (platform computeConsumerLag: a partition without a commit counts from its log start,
 * never negative). Selector `pipeline=<name>` picks one; no selector gives every pipeline.
 */
export function createLagSource({ pipelines, admins, readSecret }: LagSourceOptions): MetricSource {
  return async (namespace, metric, selector) => {
    if (metric !== CONSUMER_LAG_METRIC) return undefined;
    const wanted = selector.get('pipeline');
    const unknownKeys = [...selector.keys()].filter((k) => k !== 'pipeline');
    if (unknownKeys.length > 0) return [];
    const candidates = pipelines
      .list(namespace)
      .filter((o) => wanted === undefined || o.metadata?.name === wanted);
    if (wanted !== undefined && candidates.length === 0) return undefined;
    const values: MetricValue[] = [];
    for (const object of candidates) {
      const parsed = parsePipeline(object);
      if (!parsed.ok) continue;
      const p = parsed.pipeline;
      const admin = await admins.get(await brokersOf(p, readSecret));
      const lag = await consumerLag(admin, names.topic(p), names.consumerGroup(p));
      values.push({ labels: { pipeline: p.metadata.name }, value: lag });
    }
    return values;
  };
}
