import type { KubernetesObject, V1ObjectMeta } from '@kubernetes/client-node';
import type { EventPipelineSpec } from './eventpipeline-spec.ts';
import { eventPipelineSpecSchema } from './eventpipeline-spec.ts';
import type { EventPipelineStatus } from './status.ts';

/** An EventPipeline as the operator works with it: metadata set, spec parsed by the zod schema. */
export interface EventPipeline {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta & { name: string; namespace: string; uid: string };
  spec: EventPipelineSpec;
  status?: EventPipelineStatus;
}

/** The object as it comes from the API server (spec not yet validated by zod). */
export interface EventPipelineObject extends KubernetesObject {
  spec?: unknown;
  status?: EventPipelineStatus;
}

export type ParseResult = { ok: true; pipeline: EventPipeline } | { ok: false; message: string };

/** Validates an object from the API server with the same schema the CRD was generated from. */
export function parsePipeline(object: EventPipelineObject): ParseResult {
  const { metadata } = object;
  if (
    metadata?.name === undefined ||
    metadata.namespace === undefined ||
    metadata.uid === undefined
  ) {
    return { ok: false, message: 'metadata.name, namespace and uid are required' };
  }
  const parsed = eventPipelineSpecSchema.safeParse(object.spec);
  if (!parsed.success) {
    const message = parsed.error.issues
      .map((issue) => `spec.${issue.path.join('.')}: ${issue.message}`)
      .join('; ');
    return { ok: false, message };
  }
  return {
    ok: true,
    pipeline: {
      apiVersion: object.apiVersion ?? '',
      kind: object.kind ?? '',
      metadata: Object.assign({}, metadata, {
        name: metadata.name,
        namespace: metadata.namespace,
        uid: metadata.uid,
      }),
      spec: parsed.data,
      ...(object.status === undefined ? {} : { status: object.status }),
    },
  };
}
