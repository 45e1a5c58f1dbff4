import type * as k8s from '@kubernetes/client-node';
import type { KubeWriter } from './kube-writer.ts';

export function hasFinalizer(object: k8s.KubernetesObject, finalizer: string): boolean {
  return object.metadata?.finalizers?.includes(finalizer) === true;
}

/**
 * Server-side applies only our finalizer: the list is a set, so other controllers' finalizers are
 * untouched, and applying without it removes only ours.
 */
function finalizerPatch(object: k8s.KubernetesObject, finalizers: string[]): k8s.KubernetesObject {
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    metadata: { name: object.metadata?.name, namespace: object.metadata?.namespace, finalizers },
  } as k8s.KubernetesObject;
}

export async function addFinalizer(
  writer: KubeWriter,
  object: k8s.KubernetesObject,
  finalizer: string,
): Promise<void> {
  if (hasFinalizer(object, finalizer)) return;
  await writer.apply(finalizerPatch(object, [finalizer]));
}

export async function removeFinalizer(
  writer: KubeWriter,
  object: k8s.KubernetesObject,
  finalizer: string,
): Promise<void> {
  if (!hasFinalizer(object, finalizer)) return;
  await writer.apply(finalizerPatch(object, []));
}

export type FinalizerStep = 'add-finalizer' | 'cleanup' | 'apply' | 'gone';

/** The finalizer state machine (kube-runtime's finalizer.rs): what a reconcile must do first. */
export function finalizerStep(object: k8s.KubernetesObject, finalizer: string): FinalizerStep {
  const deleting = object.metadata?.deletionTimestamp !== undefined;
  const has = hasFinalizer(object, finalizer);
  if (deleting) return has ? 'cleanup' : 'gone';
  return has ? 'apply' : 'add-finalizer';
}
