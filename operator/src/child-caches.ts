import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { KIND } from './api/eventpipeline-spec.ts';
import { MANAGED_BY } from './desired/names.ts';
import type { InformerEvent, WatchedInformer } from './runtime/informer.ts';
import { startInformer } from './runtime/informer.ts';

export interface ChildCaches {
  readonly Deployment: k8s.ObjectCache<k8s.V1Deployment>;
  readonly Service: k8s.ObjectCache<k8s.V1Service>;
  readonly PodDisruptionBudget: k8s.ObjectCache<k8s.V1PodDisruptionBudget>;
  readonly HorizontalPodAutoscaler: k8s.ObjectCache<k8s.V2HorizontalPodAutoscaler>;
  readonly CronJob: k8s.ObjectCache<k8s.V1CronJob>;
  readonly PersistentVolumeClaim: k8s.ObjectCache<k8s.V1PersistentVolumeClaim>;
}

export function childKind(object: k8s.KubernetesObject): keyof ChildCaches {
  const kind = object.kind;
  switch (kind) {
    case 'Deployment':
    case 'Service':
    case 'PodDisruptionBudget':
    case 'HorizontalPodAutoscaler':
    case 'CronJob':
    case 'PersistentVolumeClaim':
      return kind;
    default:
      throw new Error(`not a child kind: ${String(kind)}`);
  }
}

/** The pipeline a child belongs to (its controller owner reference), as a queue key. */
export function ownerKey(object: k8s.KubernetesObject): string | undefined {
  const owner = object.metadata?.ownerReferences?.find(
    (ref) => ref.kind === KIND && ref.controller === true,
  );
  const namespace = object.metadata?.namespace;
  return owner === undefined || namespace === undefined ? undefined : `${namespace}/${owner.name}`;
}

export interface ChildInformers {
  readonly caches: ChildCaches;
  readonly informers: readonly WatchedInformer<k8s.KubernetesObject>[];
}

/** Informers on the operator's children only (label selector), in one namespace or all. */
export async function startChildInformers(
  kubeConfig: k8s.KubeConfig,
  namespace: string | undefined,
  onEvent: (event: InformerEvent, object: k8s.KubernetesObject) => void,
  logger: Logger,
): Promise<ChildInformers> {
  const labelSelector = `app.kubernetes.io/managed-by=${MANAGED_BY}`;
  const apps = kubeConfig.makeApiClient(k8s.AppsV1Api);
  const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
  const policy = kubeConfig.makeApiClient(k8s.PolicyV1Api);
  const autoscaling = kubeConfig.makeApiClient(k8s.AutoscalingV2Api);
  const batch = kubeConfig.makeApiClient(k8s.BatchV1Api);
  const scope = (group: string, plural: string) =>
    namespace === undefined ? `${group}/${plural}` : `${group}/namespaces/${namespace}/${plural}`;
  const start = <T extends k8s.KubernetesObject>(
    name: string,
    path: string,
    list: () => Promise<k8s.KubernetesListObject<T>>,
  ) => startInformer<T>({ name, kubeConfig, path, list, labelSelector, onEvent, logger });
  const ns = namespace;
  const [deployments, services, pdbs, hpas, cronJobs, claims] = await Promise.all([
    start('deployments', scope('/apis/apps/v1', 'deployments'), () =>
      ns === undefined
        ? apps.listDeploymentForAllNamespaces({ labelSelector })
        : apps.listNamespacedDeployment({ namespace: ns, labelSelector }),
    ),
    start('services', scope('/api/v1', 'services'), () =>
      ns === undefined
        ? core.listServiceForAllNamespaces({ labelSelector })
        : core.listNamespacedService({ namespace: ns, labelSelector }),
    ),
    start('poddisruptionbudgets', scope('/apis/policy/v1', 'poddisruptionbudgets'), () =>
      ns === undefined
        ? policy.listPodDisruptionBudgetForAllNamespaces({ labelSelector })
        : policy.listNamespacedPodDisruptionBudget({ namespace: ns, labelSelector }),
    ),
    start(
      'horizontalpodautoscalers',
      scope('/apis/autoscaling/v2', 'horizontalpodautoscalers'),
      () =>
        ns === undefined
          ? autoscaling.listHorizontalPodAutoscalerForAllNamespaces({ labelSelector })
          : autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace: ns, labelSelector }),
    ),
    start('cronjobs', scope('/apis/batch/v1', 'cronjobs'), () =>
      ns === undefined
        ? batch.listCronJobForAllNamespaces({ labelSelector })
        : batch.listNamespacedCronJob({ namespace: ns, labelSelector }),
    ),
    start('persistentvolumeclaims', scope('/api/v1', 'persistentvolumeclaims'), () =>
      ns === undefined
        ? core.listPersistentVolumeClaimForAllNamespaces({ labelSelector })
        : core.listNamespacedPersistentVolumeClaim({ namespace: ns, labelSelector }),
    ),
  ]);
  return {
    caches: {
      Deployment: deployments.cache,
      Service: services.cache,
      PodDisruptionBudget: pdbs.cache,
      HorizontalPodAutoscaler: hpas.cache,
      CronJob: cronJobs.cache,
      PersistentVolumeClaim: claims.cache,
    },
    informers: [
      deployments,
      services,
      pdbs,
      hpas,
      cronJobs,
      claims,
    ] as WatchedInformer<k8s.KubernetesObject>[],
  };
}
