import type { V1EnvVar, V1Probe, V1ResourceRequirements } from '@kubernetes/client-node';
import type { EventPipeline } from '../api/resource.ts';
import type { Resources, SecretKeyRef } from '../api/eventpipeline-spec.ts';

export function literal(name: string, value: string | number): V1EnvVar {
  return { name, value: String(value) };
}

/** A Secret reference: the value never appears in the object the operator writes. */
export function fromSecret(name: string, ref: SecretKeyRef): V1EnvVar {
  return { name, valueFrom: { secretKeyRef: { key: ref.key, name: ref.name } } };
}

export function kafkaBrokersEnv(pipeline: EventPipeline): V1EnvVar {
  const { bootstrapServers, bootstrapServersSecretRef } = pipeline.spec.kafka;
  if (bootstrapServersSecretRef !== undefined)
    return fromSecret('KAFKA_BROKERS', bootstrapServersSecretRef);
  return literal('KAFKA_BROKERS', (bootstrapServers ?? []).join(','));
}

export function sortedEnv(env: V1EnvVar[]): V1EnvVar[] {
  return [...env].sort((a, b) => a.name.localeCompare(b.name));
}

export function httpProbe(path: string, port: string, periodSeconds: number): V1Probe {
  return {
    failureThreshold: 3,
    httpGet: { path, port },
    periodSeconds,
    timeoutSeconds: 2,
  };
}

const DEFAULT_RESOURCES: Required<Resources> = {
  requests: { cpu: '100m', memory: '128Mi' },
  limits: { memory: '512Mi' },
};

export function resourcesOf(
  resources: Resources | undefined,
  defaults: Resources = DEFAULT_RESOURCES,
): V1ResourceRequirements {
  const chosen = resources ?? defaults;
  const out: V1ResourceRequirements = {};
  if (chosen.requests !== undefined)
    out.requests = { ...chosen.requests } as Record<string, string>;
  if (chosen.limits !== undefined) out.limits = { ...chosen.limits } as Record<string, string>;
  return out;
}
