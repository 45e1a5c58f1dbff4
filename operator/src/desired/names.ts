import type { V1OwnerReference } from '@kubernetes/client-node';
import { deadLetterTopic } from '@event-pipeline/platform';
import type { EventPipeline } from '../api/resource.ts';
import { API_GROUP, API_VERSION, KIND } from '../api/eventpipeline-spec.ts';

export const MANAGED_BY = 'event-pipeline-operator';
export const PIPELINE_LABEL = 'eventpipeline.io/pipeline';
export const FINALIZER = 'eventpipeline.io/topics';

export type Component = 'ingest' | 'dedup-consumer' | 'archiver';

/** Kubernetes names are at most 63 characters for Services and labels: trim and keep unique. */
function childName(pipeline: EventPipeline, suffix: string): string {
  const base = pipeline.metadata.name;
  const full = `${base}-${suffix}`;
  return full.length <= 63 ? full : `${base.slice(0, 62 - suffix.length)}-${suffix}`;
}

export const names = {
  ingest: (p: EventPipeline) => childName(p, 'ingest'),
  consumer: (p: EventPipeline) => childName(p, 'dedup'),
  archive: (p: EventPipeline) => childName(p, 'archive'),
  archiveClaim: (p: EventPipeline) => p.spec.archive.volume.claimName ?? childName(p, 'archive'),
  topic: (p: EventPipeline) =>
    p.spec.kafka.topic.name ?? `${p.metadata.namespace}.${p.metadata.name}`,
  deadLetterTopic: (p: EventPipeline) => deadLetterTopic(names.topic(p)),
  consumerGroup: (p: EventPipeline) => `${names.topic(p)}.dedup`,
  ingestEndpoint: (p: EventPipeline) => `http://${names.ingest(p)}.${p.metadata.namespace}.svc`,
};

/** Labels on every child; `selectorLabels` is the immutable subset used in selectors. */
export function selectorLabels(
  pipeline: EventPipeline,
  component: Component,
): Record<string, string> {
  return {
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/instance': pipeline.metadata.name,
    'app.kubernetes.io/name': 'event-pipeline',
  };
}

export function labels(pipeline: EventPipeline, component: Component): Record<string, string> {
  return {
    ...selectorLabels(pipeline, component),
    'app.kubernetes.io/managed-by': MANAGED_BY,
    'app.kubernetes.io/part-of': 'event-pipeline',
    [PIPELINE_LABEL]: pipeline.metadata.name,
  };
}

export function ownerReference(pipeline: EventPipeline): V1OwnerReference {
  return {
    apiVersion: `${API_GROUP}/${API_VERSION}`,
    blockOwnerDeletion: true,
    controller: true,
    kind: KIND,
    name: pipeline.metadata.name,
    uid: pipeline.metadata.uid,
  };
}

export function childMetadata(pipeline: EventPipeline, name: string, component: Component) {
  return {
    labels: labels(pipeline, component),
    name,
    namespace: pipeline.metadata.namespace,
    ownerReferences: [ownerReference(pipeline)],
  };
}
