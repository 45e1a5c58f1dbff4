import * as k8s from '@kubernetes/client-node';

export const FIELD_MANAGER = 'event-pipeline-operator';

export type WriteVerb = 'apply' | 'applyStatus' | 'delete' | 'create';

/** Called once per write request sent to the API server (the benchmark counts them). */
export type WriteObserver = (verb: WriteVerb, kind: string) => void;

export interface KubeWriter {
  /** Server-side apply under the operator's one field manager, forcing ownership of its fields. */
  apply<T extends k8s.KubernetesObject>(object: T): Promise<T>;
  /** Server-side apply of `.status` through the status subresource of a custom resource. */
  applyStatus(
    resource: { group: string; version: string; plural: string },
    object: k8s.KubernetesObject & { status: unknown },
  ): Promise<void>;
  /** Deletes; a 404 counts as done. */
  delete(object: k8s.KubernetesObject): Promise<void>;
  create<T extends k8s.KubernetesObject>(object: T): Promise<T>;
}

export function isStatus(error: unknown, code: number): boolean {
  return error instanceof k8s.ApiException && error.code === code;
}

/**
 * client-node serializes built-in kinds through its model classes, which silently drop JSON names
 * that differ from the model's (`default`, `enum`, `x-kubernetes-validations` in a CRD schema).
 * Deserializing plain JSON into the model first (what loadYaml does) makes the round trip exact.
 */
export function typed<T extends k8s.KubernetesObject>(object: T): T {
  return k8s.loadYaml<T>(JSON.stringify(object));
}

export function createKubeWriter(kubeConfig: k8s.KubeConfig, observe?: WriteObserver): KubeWriter {
  const objects = k8s.KubernetesObjectApi.makeApiClient(kubeConfig);
  const custom = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  const count = (verb: WriteVerb, object: k8s.KubernetesObject) =>
    observe?.(verb, object.kind ?? '');
  return {
    apply: async (object) => {
      count('apply', object);
      return objects.patch(
        typed(object),
        undefined,
        undefined,
        FIELD_MANAGER,
        true,
        k8s.PatchStrategy.ServerSideApply,
      );
    },
    applyStatus: async ({ group, version, plural }, object) => {
      count('applyStatus', object);
      const { name, namespace } = object.metadata ?? {};
      if (name === undefined || namespace === undefined)
        throw new Error('status needs name and namespace');
      await custom.patchNamespacedCustomObjectStatus(
        {
          group,
          version,
          plural,
          namespace,
          name,
          body: {
            apiVersion: object.apiVersion,
            kind: object.kind,
            metadata: { name, namespace },
            status: object.status,
          },
          fieldManager: FIELD_MANAGER,
          force: true,
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply),
      );
    },
    delete: async (object) => {
      count('delete', object);
      try {
        await objects.delete(object, undefined, undefined, undefined, undefined, 'Background');
      } catch (error) {
        if (!isStatus(error, 404)) throw error;
      }
    },
    create: async (object) => {
      count('create', object);
      return objects.create(typed(object), undefined, undefined, FIELD_MANAGER);
    },
  };
}
