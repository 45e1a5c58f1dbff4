import type * as k8s from '@kubernetes/client-node';
import type { EventPipeline } from '../api/resource.ts';

export type SecretReader = (namespace: string, name: string) => Promise<k8s.V1Secret>;

/** The pipeline's brokers: inline, or a comma-separated list in the referenced Secret key. */
export async function brokersOf(
  pipeline: EventPipeline,
  readSecret: SecretReader,
): Promise<string[]> {
  const { bootstrapServers, bootstrapServersSecretRef: ref } = pipeline.spec.kafka;
  if (ref === undefined) return [...(bootstrapServers ?? [])];
  const secret = await readSecret(pipeline.metadata.namespace, ref.name);
  const encoded = secret.data?.[ref.key];
  if (encoded === undefined) throw new Error(`Secret ${ref.name} has no key ${ref.key}`);
  return Buffer.from(encoded, 'base64')
    .toString('utf8')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
