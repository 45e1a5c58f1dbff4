import * as k8s from '@kubernetes/client-node';
import { trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { recordSpanFailure } from '@event-pipeline/platform';
import type { Metrics, ReadinessCheck } from '@event-pipeline/platform';
import type { EventPipelineObject } from './api/resource.ts';
import { API_GROUP, API_VERSION, PLURAL } from './api/eventpipeline-spec.ts';
import type { ChildInformers } from './child-caches.ts';
import { ownerKey, startChildInformers } from './child-caches.ts';
import type { DesiredOptions } from './desired/options.ts';
import { createEventRecorder } from './events.ts';
import type { AdminPool } from './kafka/admin-pool.ts';
import { createAdminPool } from './kafka/admin-pool.ts';
import type { SecretReader } from './kafka/brokers.ts';
import { CONSUMER_LAG_METRIC } from './desired/consumers.ts';
import { createLagSource } from './metrics-api/lag-source.ts';
import type { MetricsApiOptions } from './metrics-api/metrics-server.ts';
import { startMetricsApi } from './metrics-api/metrics-server.ts';
import { createOperatorMetrics } from './operator-metrics.ts';
import { createReconciler } from './reconciler.ts';
import type { BackoffOptions } from './runtime/backoff.ts';
import type { Action, Controller } from './runtime/controller.ts';
import { startController } from './runtime/controller.ts';
import type { WatchedInformer } from './runtime/informer.ts';
import { startInformer } from './runtime/informer.ts';
import type { WriteObserver } from './runtime/kube-writer.ts';
import { createKubeWriter } from './runtime/kube-writer.ts';
import type { LeaderElector, LeaseTimings } from './runtime/leader-election.ts';
import { startLeaderElection } from './runtime/leader-election.ts';
import { WorkQueue } from './runtime/work-queue.ts';

export interface OperatorOptions {
  readonly kubeConfig: k8s.KubeConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly desired: DesiredOptions;
  /** Watch one namespace; all when undefined. */
  readonly namespace?: string;
  readonly workers?: number;
  readonly resyncMs?: number;
  readonly backoff?: BackoffOptions;
  readonly finalizerTimeoutMs?: number;
  /** How long a good topic check is trusted for an unchanged spec (default 60 s). */
  readonly topicRecheckMs?: number;
  /** Leader election; without it this instance reconciles unconditionally. */
  readonly leaderElection?: {
    readonly namespace: string;
    readonly name: string;
    readonly identity: string;
    readonly timings?: LeaseTimings;
  };
  readonly admins?: AdminPool;
  readonly onWrite?: WriteObserver;
  /** Serve external.metrics.k8s.io (consumer lag) over TLS; every replica serves, leader or not. */
  readonly metricsApi?: Omit<MetricsApiOptions, 'metrics' | 'source' | 'logger'>;
  /** After the lease was lost (reconciling has already stopped); main.ts exits the process. */
  readonly onLostLeadership?: () => void;
  readonly now?: () => Date;
}

export interface Operator {
  readonly readinessChecks: readonly ReadinessCheck[];
  isLeader(): boolean;
  /** Writes sent to the API server by this instance, by verb and kind. */
  writes(): ReadonlyMap<string, number>;
  /** The external metrics API's port, when it is served. */
  readonly metricsApiPort: number | undefined;
  stop(): Promise<void>;
}

const pipelineKey = (o: k8s.KubernetesObject) =>
  `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

export async function startOperator(options: OperatorOptions): Promise<Operator> {
  const { kubeConfig, logger, metrics, namespace } = options;
  const log = logger.child({ component: 'operator' });
  const now = options.now ?? (() => new Date());

  const { reconciles, duration, depth, kafkaErrors, apiWrites } = createOperatorMetrics(metrics);
  const writeCounts = new Map<string, number>();
  const writer = createKubeWriter(kubeConfig, (verb, kind) => {
    apiWrites.inc({ verb, kind });
    const key = `${verb} ${kind}`;
    writeCounts.set(key, (writeCounts.get(key) ?? 0) + 1);
    options.onWrite?.(verb, kind);
  });

  const queue = new WorkQueue(options.backoff === undefined ? {} : { backoff: options.backoff });
  const enqueue = (key: string | undefined) => {
    if (key === undefined) return;
    queue.add(key);
    depth.set(queue.length);
  };

  const custom = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  const path =
    namespace === undefined
      ? `/apis/${API_GROUP}/${API_VERSION}/${PLURAL}`
      : `/apis/${API_GROUP}/${API_VERSION}/namespaces/${namespace}/${PLURAL}`;
  const pipelines: WatchedInformer<EventPipelineObject> = await startInformer<EventPipelineObject>({
    name: 'eventpipelines',
    kubeConfig,
    path,
    list: async () =>
      (namespace === undefined
        ? await custom.listClusterCustomObject({
            group: API_GROUP,
            version: API_VERSION,
            plural: PLURAL,
          })
        : await custom.listNamespacedCustomObject({
            group: API_GROUP,
            version: API_VERSION,
            plural: PLURAL,
            namespace,
          })) as k8s.KubernetesListObject<EventPipelineObject>,
    onEvent: (_event, object) => enqueue(pipelineKey(object)),
    logger: log,
  });
  const children: ChildInformers = await startChildInformers(
    kubeConfig,
    namespace,
    (_event, object) => enqueue(ownerKey(object)),
    log,
  );

  const admins = options.admins ?? createAdminPool({ logger: log });
  const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
  const readSecret: SecretReader = (ns, name) => core.readNamespacedSecret({ namespace: ns, name });
  const metricsApi =
    options.metricsApi === undefined
      ? undefined
      : await startMetricsApi({
          ...options.metricsApi,
          metrics: [CONSUMER_LAG_METRIC],
          source: createLagSource({ pipelines: pipelines.cache, admins, readSecret }),
          logger: log.child({ component: 'external-metrics' }),
        });
  const reconciler = createReconciler({
    pipelines: pipelines.cache,
    children: children.caches,
    writer,
    readSecret,
    admins,
    record: createEventRecorder(writer, 'event-pipeline-operator', now),
    options: options.desired,
    logger: log,
    now,
    finalizerTimeoutMs: options.finalizerTimeoutMs ?? 120_000,
    topicRecheckMs: options.topicRecheckMs ?? 60_000,
    onKafkaError: (operation) => kafkaErrors.inc({ operation }),
  });

  const tracer = trace.getTracer('event-pipeline-operator');
  /** One span per reconcile; a no-op unless main.ts started tracing. */
  const traced = (key: string): Promise<Action> =>
    tracer.startActiveSpan(
      'reconcile EventPipeline',
      { attributes: { 'eventpipeline.key': key } },
      async (span) => {
        try {
          const action = await reconciler.reconcile(key);
          span.setAttribute('eventpipeline.backoff', action.backoff === true);
          return action;
        } catch (error) {
          recordSpanFailure(span, error);
          throw error;
        } finally {
          span.end();
        }
      },
    );

  let controller: Controller | undefined;
  const startReconciling = () => {
    controller ??= startController({
      queue,
      reconcile: (key) => traced(key),
      keys: () => pipelines.cache.list().map(pipelineKey),
      workers: options.workers ?? 4,
      resyncMs: options.resyncMs ?? 300_000,
      logger: log,
      hooks: {
        observe: (result, seconds) => {
          reconciles.inc({ result });
          duration.observe({ result }, seconds);
        },
        queueDepth: (n) => depth.set(n),
      },
    });
    for (const object of pipelines.cache.list()) enqueue(pipelineKey(object));
  };

  let elector: LeaderElector | undefined;
  let stopping: Promise<void> | undefined;
  const stopAll = async () => {
    await elector?.stop();
    await controller?.stop();
    queue.shutDown();
    await Promise.allSettled([
      pipelines.stop(),
      ...children.informers.map((i) => i.stop()),
      metricsApi?.close(),
    ]);
    if (options.admins === undefined) await admins.close();
  };
  if (options.leaderElection === undefined) {
    startReconciling();
  } else {
    elector = startLeaderElection({
      kubeConfig,
      ...options.leaderElection,
      logger: log,
      onStartedLeading: startReconciling,
      onStoppedLeading: () => {
        // A replica that lost its lease must not write again: stop reconciling for good; main.ts
        // exits so the Deployment restarts it as a fresh candidate.
        log.error('lost the leader lease; stopping');
        void controller?.stop();
        options.onLostLeadership?.();
      },
    });
  }

  const informers = [pipelines, ...children.informers] as WatchedInformer<k8s.KubernetesObject>[];
  return {
    readinessChecks: [
      {
        name: 'watches',
        check: () => {
          const broken = informers.filter((i) => !i.healthy());
          if (broken.length === 0) return Promise.resolve();
          return Promise.reject(
            new Error(broken.map((i) => `${i.name}: ${i.lastError() ?? 'not synced'}`).join('; ')),
          );
        },
      },
    ],
    isLeader: () => elector?.isLeader() ?? true,
    writes: () => writeCounts,
    metricsApiPort: metricsApi?.port,
    stop: () => (stopping ??= stopAll()),
  };
}
