import { isDeepStrictEqual } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { EventPipeline, EventPipelineObject } from './api/resource.ts';
import { parsePipeline } from './api/resource.ts';
import { API_GROUP, API_VERSION, PLURAL } from './api/eventpipeline-spec.ts';
import type { EventPipelineStatus } from './api/status.ts';
import type { DesiredOptions } from './desired/options.ts';
import { desiredArchiveClaim, desiredArchiveCronJob } from './desired/archive.ts';
import { desiredConsumerDeployment, desiredConsumerHpa } from './desired/consumers.ts';
import {
  desiredIngestDeployment,
  desiredIngestPdb,
  desiredIngestService,
} from './desired/ingest.ts';
import { FINALIZER, names } from './desired/names.ts';
import type { Observed, TopicOutcome } from './desired/status.ts';
import { computeStatus } from './desired/status.ts';
import { desiredTopics } from './desired/topics.ts';
import type { EventRecorder } from './events.ts';
import type { AdminPool } from './kafka/admin-pool.ts';
import type { SecretReader } from './kafka/brokers.ts';
import { brokersOf } from './kafka/brokers.ts';
import { topicConflict } from './kafka/topic-plan.ts';
import type { Claimant } from './kafka/topic-plan.ts';
import {
  KafkaUnavailableError,
  consumerLag,
  deleteTopics,
  isUnreachable,
  reconcileTopics,
} from './kafka/topic-reconciler.ts';
import type { ChildCaches } from './child-caches.ts';
import { childKind } from './child-caches.ts';
import { contains } from './runtime/contains.ts';
import type { Action } from './runtime/controller.ts';
import { addFinalizer, finalizerStep, removeFinalizer } from './runtime/finalizer.ts';
import type { KubeWriter } from './runtime/kube-writer.ts';
import { lagRetryAfter, nextCheck, reusable } from './topic-recheck.ts';
import type { TopicCheck } from './topic-recheck.ts';

export const pipelineResource = { group: API_GROUP, version: API_VERSION, plural: PLURAL };

/** Set to "true" on a deleting pipeline to drop the finalizer without touching Kafka. */
export const SKIP_CLEANUP_ANNOTATION = 'eventpipeline.io/skip-topic-cleanup';

export interface ReconcilerContext {
  readonly pipelines: k8s.ObjectCache<EventPipelineObject>;
  readonly children: ChildCaches;
  readonly writer: KubeWriter;
  readonly readSecret: SecretReader;
  readonly admins: AdminPool;
  readonly record: EventRecorder;
  readonly options: DesiredOptions;
  readonly logger: Logger;
  readonly now: () => Date;
  /** After this long, a deletion gives up on Kafka and removes the finalizer anyway. */
  readonly finalizerTimeoutMs: number;
  /** A successful topic check (and the lag in status) is reused this long for the same generation. */
  readonly topicRecheckMs: number;
  readonly onKafkaError?: (operation: string) => void;
}

function splitKey(key: string): [string, string] {
  const slash = key.indexOf('/');
  return [key.slice(0, slash), key.slice(slash + 1)];
}

function claimantOf(object: EventPipelineObject): Claimant | undefined {
  const parsed = parsePipeline(object);
  if (!parsed.ok) return undefined;
  const p = parsed.pipeline;
  return {
    uid: p.metadata.uid,
    namespace: p.metadata.namespace,
    name: p.metadata.name,
    creationTimestamp: new Date(p.metadata.creationTimestamp ?? 0).getTime(),
    topics: desiredTopics(p).map((t) => t.name),
  };
}

/**
 * Writes made but not yet seen by the informer cache, by object: the resourceVersion the cache
 * had when we wrote. While the cache still shows that version, it is stale and the write is
 * trusted; once it shows anything else, the entry is dropped and the cache is the truth again.
 */
class PendingWrites {
  readonly #pending = new Map<string, string | undefined>();

  stale(key: string, cachedVersion: string | undefined): boolean {
    if (!this.#pending.has(key)) return false;
    if (this.#pending.get(key) === cachedVersion) return true;
    this.#pending.delete(key);
    return false;
  }

  wrote(key: string, cachedVersion: string | undefined): void {
    this.#pending.set(key, cachedVersion);
  }

  forget(prefix: string): void {
    for (const key of this.#pending.keys()) if (key.startsWith(prefix)) this.#pending.delete(key);
  }
}

export interface Reconciler {
  reconcile(key: string): Promise<Action>;
}

export function createReconciler(ctx: ReconcilerContext): Reconciler {
  const pending = new PendingWrites();
  const topicMemo = new Map<
    string,
    { check: TopicCheck; result: { outcome: TopicOutcome; lag?: number } }
  >();

  const resolveBrokers = (pipeline: EventPipeline) => brokersOf(pipeline, ctx.readSecret);

  const withAdmin = async <T>(
    brokers: readonly string[],
    operation: string,
    use: (admin: Awaited<ReturnType<AdminPool['get']>>) => Promise<T>,
  ): Promise<T> => {
    try {
      return await use(await ctx.admins.get(brokers));
    } catch (error) {
      ctx.onKafkaError?.(operation);
      if (isUnreachable(error)) {
        await ctx.admins.discard(brokers);
        throw new KafkaUnavailableError(
          `Kafka at ${brokers.join(',')} is unreachable: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
      }
      throw error;
    }
  };

  const applyChild = async (desired: k8s.KubernetesObject): Promise<k8s.KubernetesObject> => {
    const kind = childKind(desired);
    const name = desired.metadata?.name ?? '';
    const namespace = desired.metadata?.namespace ?? '';
    const cached = ctx.children[kind].get(name, namespace);
    const memo = `${namespace}/${name}/${kind}`;
    const version = cached?.metadata?.resourceVersion;
    if (pending.stale(memo, version) || (cached !== undefined && contains(cached, desired))) {
      return cached ?? desired;
    }
    const applied = await ctx.writer.apply(desired);
    pending.wrote(memo, version);
    return applied;
  };

  const deleteChild = async (
    kind: keyof ChildCaches,
    namespace: string,
    name: string,
    apiVersion: string,
  ) => {
    const cached = ctx.children[kind].get(name, namespace);
    if (cached === undefined) return;
    await ctx.writer.delete({ apiVersion, kind, metadata: { name, namespace } });
  };

  const writeStatus = async (
    object: EventPipelineObject,
    status: EventPipelineStatus,
  ): Promise<void> => {
    const memo = `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}/status`;
    const version = object.metadata?.resourceVersion;
    if (pending.stale(memo, version)) return;
    if (isDeepStrictEqual(JSON.parse(JSON.stringify(object.status ?? {})), status)) return;
    await ctx.writer.applyStatus(pipelineResource, {
      apiVersion: object.apiVersion,
      kind: object.kind,
      metadata: { name: object.metadata?.name, namespace: object.metadata?.namespace },
      status,
    } as k8s.KubernetesObject & { status: unknown });
    pending.wrote(memo, version);
  };

  const cleanup = async (object: EventPipelineObject, key: string): Promise<Action> => {
    const parsed = parsePipeline(object);
    const skip = object.metadata?.annotations?.[SKIP_CLEANUP_ANNOTATION] === 'true';
    if (parsed.ok && !skip && parsed.pipeline.spec.kafka.deletionPolicy === 'Delete') {
      const pipeline = parsed.pipeline;
      const claimant = claimantOf(object);
      const conflict =
        claimant === undefined
          ? undefined
          : topicConflict(
              claimant,
              ctx.pipelines.list().flatMap((o) => claimantOf(o) ?? []),
            );
      if (conflict === undefined) {
        try {
          const brokers = await resolveBrokers(pipeline);
          await withAdmin(brokers, 'deleteTopics', (admin) =>
            deleteTopics(
              admin,
              desiredTopics(pipeline).map((t) => t.name),
            ),
          );
          await ctx.record(
            pipeline,
            'Normal',
            'TopicsDeleted',
            `deleted topics of ${key} (deletionPolicy: Delete)`,
          );
        } catch (error) {
          const since = new Date(object.metadata?.deletionTimestamp ?? ctx.now()).getTime();
          const waited = ctx.now().getTime() - since;
          const message = error instanceof Error ? error.message : String(error);
          if (waited < ctx.finalizerTimeoutMs) {
            ctx.logger.warn({ key, err: error }, 'topic cleanup failed; retrying');
            await writeStatus(object, {
              ...(object.status ?? {}),
              conditions: [
                ...(object.status?.conditions ?? []).filter((c) => c.type !== 'TopicReady'),
                {
                  type: 'TopicReady',
                  status: 'False',
                  reason: 'CleanupFailed',
                  message: `deleting topics failed, retrying until ${Math.round(ctx.finalizerTimeoutMs / 1000)} s after deletion: ${message}`,
                  lastTransitionTime: ctx.now().toISOString(),
                },
              ],
            });
            return { backoff: true };
          }
          await ctx.record(
            pipeline,
            'Warning',
            'TopicCleanupAbandoned',
            `gave up deleting topics ${desiredTopics(pipeline)
              .map((t) => t.name)
              .join(', ')} after ${Math.round(waited / 1000)} s; delete them by hand: ${message}`,
          );
        }
      }
    }
    await removeFinalizer(ctx.writer, object, FINALIZER);
    pending.forget(key);
    if (object.metadata?.uid !== undefined) topicMemo.delete(object.metadata.uid);
    return {};
  };

  const topicOutcome = async (
    pipeline: EventPipeline,
    object: EventPipelineObject,
  ): Promise<{ outcome: TopicOutcome; lag?: number }> => {
    const claimant = claimantOf(object);
    const conflict =
      claimant === undefined
        ? undefined
        : topicConflict(
            claimant,
            ctx.pipelines.list().flatMap((o) => claimantOf(o) ?? []),
          );
    if (conflict !== undefined) {
      return {
        outcome: {
          ok: false,
          reason: 'ResourceConflict',
          message: `topic ${names.topic(pipeline)} already belongs to EventPipeline ${conflict.namespace}/${conflict.name}`,
        },
      };
    }
    let brokers: string[];
    try {
      brokers = await resolveBrokers(pipeline);
    } catch (error) {
      return {
        outcome: {
          ok: false,
          reason: 'BrokersUnresolved',
          message: error instanceof Error ? error.message : String(error),
        },
      };
    }
    return withAdmin(brokers, 'reconcileTopics', async (admin) => {
      const result = await reconcileTopics(admin, desiredTopics(pipeline));
      if (result.writes > 0 && result.outcome.ok) {
        await ctx.record(
          pipeline,
          'Normal',
          'TopicReconciled',
          `topic ${names.topic(pipeline)} has ${result.outcome.partitions} partitions`,
        );
      }
      if (!result.outcome.ok) return { outcome: result.outcome };
      // Lag is informative: a transient error right after partitions grew must not fail the reconcile.
      const lag = await consumerLag(
        admin,
        names.topic(pipeline),
        names.consumerGroup(pipeline),
      ).catch((error: unknown) => {
        if (isUnreachable(error)) throw error;
        ctx.logger.debug({ err: error }, 'consumer lag not available yet');
        return undefined;
      });
      return lag === undefined ? { outcome: result.outcome } : { outcome: result.outcome, lag };
    });
  };

  const reconcile = async (key: string): Promise<Action> => {
    const [namespace, name] = splitKey(key);
    const object = ctx.pipelines.get(name, namespace);
    if (object === undefined) {
      pending.forget(`${key}/`);
      return {};
    }
    const step = finalizerStep(object, FINALIZER);
    if (step === 'gone') return {};
    if (step === 'cleanup') return cleanup(object, key);
    if (step === 'add-finalizer') {
      const memo = `${key}/finalizer`;
      if (!pending.stale(memo, object.metadata?.resourceVersion)) {
        await addFinalizer(ctx.writer, object, FINALIZER);
        pending.wrote(memo, object.metadata?.resourceVersion);
      }
    }

    const parsed = parsePipeline(object);
    if (!parsed.ok) {
      ctx.logger.warn({ key, problem: parsed.message }, 'invalid spec');
      return {};
    }
    const pipeline = parsed.pipeline;
    const previousTopicReason = pipeline.status?.conditions?.find(
      (c) => c.type === 'TopicReady',
    )?.reason;

    let topic: { outcome: TopicOutcome; lag?: number };
    let kafkaDown = false;
    const generation = pipeline.metadata.generation ?? 0;
    const known = topicMemo.get(pipeline.metadata.uid);
    try {
      if (
        known !== undefined &&
        reusable(known.check, generation, ctx.now().getTime(), ctx.topicRecheckMs)
      ) {
        topic = known.result;
      } else {
        topic = await topicOutcome(pipeline, object);
        if (topic.outcome.ok) {
          topicMemo.set(pipeline.metadata.uid, {
            check: nextCheck(
              known?.check,
              generation,
              ctx.now().getTime(),
              topic.lag !== undefined,
            ),
            result: topic,
          });
        } else {
          topicMemo.delete(pipeline.metadata.uid);
        }
      }
    } catch (error) {
      topicMemo.delete(pipeline.metadata.uid);
      if (!(error instanceof KafkaUnavailableError)) throw error;
      kafkaDown = true;
      topic = {
        outcome: {
          ok: false,
          reason: 'KafkaUnavailable',
          message: error.message,
          ...(pipeline.status?.topic?.partitions === undefined
            ? {}
            : { partitions: pipeline.status.topic.partitions }),
        },
      };
    }
    if (!topic.outcome.ok && topic.outcome.reason !== previousTopicReason) {
      await ctx.record(pipeline, 'Warning', topic.outcome.reason, topic.outcome.message);
    }

    const ingest = await applyChild(desiredIngestDeployment(pipeline, ctx.options));
    await applyChild(desiredIngestService(pipeline));
    const pdb = desiredIngestPdb(pipeline);
    if (pdb === undefined)
      await deleteChild('PodDisruptionBudget', namespace, names.ingest(pipeline), 'policy/v1');
    else await applyChild(pdb);
    const consumer = await applyChild(desiredConsumerDeployment(pipeline, ctx.options));
    const hpa = await applyChild(desiredConsumerHpa(pipeline));
    const claim = desiredArchiveClaim(pipeline);
    if (claim !== undefined) await applyChild(claim);
    const cronJob = await applyChild(desiredArchiveCronJob(pipeline, ctx.options));

    const observed: Observed = {
      now: ctx.now().toISOString(),
      topic: topic.outcome,
      ingest: ingest,
      consumer: consumer,
      hpa: hpa as k8s.V2HorizontalPodAutoscaler,
      cronJob: cronJob as k8s.V1CronJob,
      lag: topic.lag ?? pipeline.status?.consumers?.lag,
    };
    await writeStatus(object, computeStatus(pipeline, observed));
    if (kafkaDown) return { backoff: true };
    const retryAfter = lagRetryAfter(topicMemo.get(pipeline.metadata.uid)?.check);
    return retryAfter === undefined ? {} : { requeueAfterMs: retryAfter };
  };

  return { reconcile };
}
