import * as k8s from '@kubernetes/client-node';
import { buildCrd, CRD_NAME } from '../src/api/crd.ts';
import { API_GROUP, API_VERSION, KIND, PLURAL } from '../src/api/eventpipeline-spec.ts';
import { createKubeWriter } from '../src/runtime/kube-writer.ts';
import { createLogger, createMetrics } from '@event-pipeline/platform';
import { eventually } from '../../test/support/kubernetes.ts';
import type { Operator, OperatorOptions } from '../src/operator.ts';
import { startOperator } from '../src/operator.ts';

export const pipelineResource = { group: API_GROUP, version: API_VERSION, plural: PLURAL };

/**
 * Installs (server-side apply, idempotent) the CRD once per process and waits until it is served.
 * Shared-stack tests never delete it: the CRD is cluster-scoped and other test files use it.
 */
export async function installCrd(kc: k8s.KubeConfig): Promise<void> {
  await createKubeWriter(kc).apply(buildCrd());
  const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
  await eventually('the CRD to be Established', async () => {
    const crd = await ext.readCustomResourceDefinition({ name: CRD_NAME });
    return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')
      ? true
      : undefined;
  });
}

export async function createNamespace(kc: k8s.KubeConfig, name: string): Promise<void> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name } } });
  await eventually('the default ServiceAccount', async () =>
    core.readNamespacedServiceAccount({ name: 'default', namespace: name }),
  );
}

export async function deleteNamespace(kc: k8s.KubeConfig, name: string): Promise<void> {
  await kc.makeApiClient(k8s.CoreV1Api).deleteNamespace({ name });
}

/** A minimal valid spec; `overrides` replaces whole top-level sections. */
export function sampleSpec(brokers: string[], overrides: Record<string, unknown> = {}) {
  return {
    kafka: { bootstrapServers: brokers, topic: { partitions: 3 } },
    ingest: { replicas: 2, apiKeysSecretRef: { name: 'keys' } },
    dedup: {
      redis: { urlSecretRef: { name: 'redis', key: 'url' } },
      consumers: { minReplicas: 1, maxReplicas: 6, lagThreshold: 100 },
    },
    storage: { postgres: { urlSecretRef: { name: 'pg', key: 'url' } } },
    archive: { schedule: '15 * * * *', volume: { claimName: 'archive' } },
    ...overrides,
  };
}

export function pipelineBody(name: string, spec: unknown) {
  return { apiVersion: `${API_GROUP}/${API_VERSION}`, kind: KIND, metadata: { name }, spec };
}

export function errorBody(error: unknown): string {
  if (error instanceof k8s.ApiException) {
    const body: unknown = error.body;
    if (typeof body !== 'string') return JSON.stringify(body);
    try {
      const status = JSON.parse(body) as { message?: unknown };
      return typeof status.message === 'string' ? status.message : body;
    } catch {
      return body;
    }
  }
  return String(error);
}

export interface RunningOperator {
  readonly operator: Operator;
  readonly writes: () => number;
}

/** An operator watching one namespace, with its own metrics registry; logs at warn to stderr. */
export async function runOperator(
  kc: k8s.KubeConfig,
  namespace: string,
  extra: Partial<OperatorOptions> = {},
): Promise<RunningOperator> {
  let writes = 0;
  const operator = await startOperator({
    kubeConfig: kc,
    logger: createLogger({ name: 'operator-test', level: 'warn', destination: process.stderr }),
    metrics: createMetrics(),
    desired: {
      images: { ingest: 'ingest:test', consumer: 'consumer:test', archiver: 'archiver:test' },
    },
    namespace,
    workers: 2,
    resyncMs: 60_000,
    backoff: { baseMs: 500, maxMs: 5_000 },
    finalizerTimeoutMs: 20_000,
    onWrite: () => {
      writes += 1;
    },
    ...extra,
  });
  return { operator, writes: () => writes };
}

export interface PipelineView {
  metadata: { generation?: number; finalizers?: string[]; uid: string };
  spec: Record<string, unknown>;
  status?: {
    observedGeneration?: number;
    conditions?: { type: string; status: string; reason: string; message: string }[];
    topic?: { name: string; partitions: number };
    ingest?: { readyReplicas: number; endpoint: string };
    consumers?: { replicas: number; lag?: number };
  };
}

export async function readPipeline(
  kc: k8s.KubeConfig,
  namespace: string,
  name: string,
): Promise<PipelineView> {
  return (await kc
    .makeApiClient(k8s.CustomObjectsApi)
    .getNamespacedCustomObject({ ...pipelineResource, namespace, name })) as PipelineView;
}

export function condition(p: PipelineView, type: string) {
  return p.status?.conditions?.find((c) => c.type === type);
}
