import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import * as k8s from '@kubernetes/client-node';
import type { Admin } from 'kafkajs';
import {
  createKafkaClient,
  createLogger,
  createMetrics,
  startHealthServer,
} from '@event-pipeline/platform';
import { eventually, isNotFound, kubeConfig } from '../../test/support/kubernetes.ts';
import { setting, uniqueName } from '../../test/support/stack.ts';
import type { RunningOperator } from './support.ts';
import {
  condition,
  createNamespace,
  deleteNamespace,
  installCrd,
  pipelineBody,
  pipelineResource,
  readPipeline,
  runOperator,
  sampleSpec,
} from './support.ts';

const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

describe('the EventPipeline reconciler against the real control plane and Kafka', () => {
  let kc: k8s.KubeConfig;
  let custom: k8s.CustomObjectsApi;
  let apps: k8s.AppsV1Api;
  let core: k8s.CoreV1Api;
  let admin: Admin;
  let brokers: string[];
  let running: RunningOperator;
  const namespace = uniqueName('ep-reconcile');

  before(async () => {
    kc = await kubeConfig();
    custom = kc.makeApiClient(k8s.CustomObjectsApi);
    apps = kc.makeApiClient(k8s.AppsV1Api);
    core = kc.makeApiClient(k8s.CoreV1Api);
    brokers = (await setting('KAFKA_BROKERS')).split(',');
    admin = createKafkaClient({
      brokers,
      clientId: 'reconcile-test',
      logger: createLogger({ name: 't', level: 'warn' }),
    }).admin();
    await admin.connect();
    await installCrd(kc);
    await createNamespace(kc, namespace);
    // A 2 s resync, so the idle test below covers several full resyncs.
    running = await runOperator(kc, namespace, { resyncMs: 2_000 });
  });
  after(async () => {
    await running.operator.stop();
    await admin.disconnect();
    await deleteNamespace(kc, namespace);
  });

  const create = (name: string, spec: unknown) =>
    custom.createNamespacedCustomObject({
      ...pipelineResource,
      namespace,
      body: pipelineBody(name, spec),
    });
  const patchSpec = (name: string, spec: unknown) =>
    custom.patchNamespacedCustomObject(
      { ...pipelineResource, namespace, name, body: { spec } },
      mergePatch,
    );
  const ready = (name: string, timeoutMs = 60_000) =>
    eventually(
      `${name} Ready`,
      async () => {
        const p = await readPipeline(kc, namespace, name);
        return condition(p, 'Ready')?.status === 'True' &&
          p.status?.observedGeneration === p.metadata.generation
          ? p
          : undefined;
      },
      timeoutMs,
    );
  const partitionsOf = async (topic: string) =>
    (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions.length;

  it('creates every child with an owner reference, the topics, and reports Ready', async () => {
    await create('clicks', sampleSpec(brokers, {}));
    const pipeline = await ready('clicks');
    const uid = pipeline.metadata.uid;
    const owned = (o: { metadata?: k8s.V1ObjectMeta }) =>
      o.metadata?.ownerReferences?.some((r) => r.uid === uid && r.controller === true) === true;

    const ingest = await apps.readNamespacedDeployment({ namespace, name: 'clicks-ingest' });
    const consumer = await apps.readNamespacedDeployment({ namespace, name: 'clicks-dedup' });
    const service = await core.readNamespacedService({ namespace, name: 'clicks-ingest' });
    const pdb = await kc
      .makeApiClient(k8s.PolicyV1Api)
      .readNamespacedPodDisruptionBudget({ namespace, name: 'clicks-ingest' });
    const hpa = await kc
      .makeApiClient(k8s.AutoscalingV2Api)
      .readNamespacedHorizontalPodAutoscaler({ namespace, name: 'clicks-dedup' });
    const cron = await kc
      .makeApiClient(k8s.BatchV1Api)
      .readNamespacedCronJob({ namespace, name: 'clicks-archive' });
    for (const child of [ingest, consumer, service, pdb, hpa, cron])
      assert.ok(owned(child), child.metadata?.name);

    assert.equal(hpa.spec.maxReplicas, 3, 'capped at the 3 partitions');
    assert.equal(hpa.spec.metrics?.[0]?.external?.metric.name, 'eventpipeline_consumer_lag');
    assert.equal(cron.spec.concurrencyPolicy, 'Forbid');
    assert.equal(ingest.status?.readyReplicas, 2);

    const topic = `${namespace}.clicks`;
    assert.equal(pipeline.status?.topic?.name, topic);
    assert.equal(pipeline.status.topic.partitions, 3);
    assert.equal(await partitionsOf(topic), 3);
    assert.ok((await admin.listTopics()).includes(`${topic}.dlq`));
    assert.deepEqual(pipeline.metadata.finalizers, ['eventpipeline.io/topics']);
    for (const type of ['TopicReady', 'IngestReady', 'ConsumersReady', 'ArchiveReady']) {
      assert.equal(condition(pipeline, type)?.status, 'True', type);
    }
  });

  it('reports healthy watches in /readyz', async () => {
    const health = await startHealthServer({
      port: 0,
      host: '127.0.0.1',
      registry: createMetrics().registry,
      checks: running.operator.readinessChecks,
    });
    try {
      const res = await fetch(`http://127.0.0.1:${health.port}/readyz`);
      const body = (await res.json()) as {
        status: string;
        checks: { name: string; ok: boolean }[];
      };
      assert.equal(res.status, 200);
      assert.deepEqual(
        body.checks.map((c) => [c.name, c.ok]),
        [['watches', true]],
      );
    } finally {
      await health.close();
    }
  });

  it('makes no API writes while nothing changes (resync included)', async () => {
    await ready('clicks');
    // Let in-flight status updates settle, then count.
    await sleep(2_000);
    const before = running.writes();
    await sleep(5_000);
    assert.equal(running.writes() - before, 0);
  });

  it('applies spec updates: replicas, partitions up, schedule', async () => {
    await patchSpec('clicks', {
      ingest: { replicas: 3 },
      kafka: { topic: { partitions: 6 } },
      archive: { schedule: '*/5 * * * *' },
    });
    const pipeline = await ready('clicks');
    assert.equal(pipeline.status?.topic?.partitions, 6);
    assert.equal(await partitionsOf(`${namespace}.clicks`), 6);
    const ingest = await apps.readNamespacedDeployment({ namespace, name: 'clicks-ingest' });
    assert.equal(ingest.spec?.replicas, 3);
    const hpa = await kc
      .makeApiClient(k8s.AutoscalingV2Api)
      .readNamespacedHorizontalPodAutoscaler({ namespace, name: 'clicks-dedup' });
    assert.equal(hpa.spec.maxReplicas, 6);
    const cron = await kc
      .makeApiClient(k8s.BatchV1Api)
      .readNamespacedCronJob({ namespace, name: 'clicks-archive' });
    assert.equal(cron.spec.schedule, '*/5 * * * *');
  });

  it('restores a child edited by hand and one deleted by hand', async () => {
    await apps.patchNamespacedDeployment(
      { namespace, name: 'clicks-ingest', body: { spec: { replicas: 7 } } },
      mergePatch,
    );
    await core.deleteNamespacedService({ namespace, name: 'clicks-ingest' });
    await eventually(
      'the replica count restored',
      async () => {
        const d = await apps.readNamespacedDeployment({ namespace, name: 'clicks-ingest' });
        return d.spec?.replicas === 3 ? d : undefined;
      },
      20_000,
    );
    await eventually(
      'the Service recreated',
      async () => core.readNamespacedService({ namespace, name: 'clicks-ingest' }),
      20_000,
    );
  });

  it('gives the younger of two pipelines claiming one topic ResourceConflict', async () => {
    const spec = sampleSpec(brokers);
    await create('older', {
      ...spec,
      kafka: { ...spec.kafka, topic: { name: `${namespace}.shared`, partitions: 3 } },
    });
    await ready('older');
    await create('younger', {
      ...spec,
      kafka: { ...spec.kafka, topic: { name: `${namespace}.shared`, partitions: 3 } },
    });
    const younger = await eventually('ResourceConflict', async () => {
      const p = await readPipeline(kc, namespace, 'younger');
      return condition(p, 'TopicReady')?.reason === 'ResourceConflict' ? p : undefined;
    });
    assert.match(condition(younger, 'TopicReady')?.message ?? '', /older/);
    assert.equal(
      condition(await readPipeline(kc, namespace, 'older'), 'TopicReady')?.status,
      'True',
    );
    // Deleting the younger one (policy Retain by default) must not touch the older one's topic.
    await custom.deleteNamespacedCustomObject({ ...pipelineResource, namespace, name: 'younger' });
  });

  it('refuses to shrink a topic that has more partitions than the spec: TopicReady=False NotSupported', async () => {
    const topic = `${namespace}.wide`;
    await admin.createTopics({
      topics: [{ topic, numPartitions: 8, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    const spec = sampleSpec(brokers);
    await create('wide', {
      ...spec,
      kafka: { ...spec.kafka, topic: { name: topic, partitions: 3 } },
    });
    const p = await eventually('NotSupported', async () => {
      const view = await readPipeline(kc, namespace, 'wide');
      return condition(view, 'TopicReady')?.reason === 'NotSupported' ? view : undefined;
    });
    assert.equal(condition(p, 'TopicReady')?.status, 'False');
    assert.match(condition(p, 'TopicReady')?.message ?? '', /cannot reduce/);
    assert.equal(condition(p, 'Ready')?.status, 'False');
    assert.equal(await partitionsOf(topic), 8, 'the topic is left as it is');
  });

  it('retains the topics on deletion with deletionPolicy Retain, and the GC removes the children', async () => {
    await custom.deleteNamespacedCustomObject({ ...pipelineResource, namespace, name: 'older' });
    await eventually('the pipeline gone', async () => {
      try {
        await readPipeline(kc, namespace, 'older');
        return undefined;
      } catch (error) {
        return isNotFound(error) ? true : undefined;
      }
    });
    await eventually('the garbage collector removed the ingest Deployment', async () => {
      try {
        await apps.readNamespacedDeployment({ namespace, name: 'older-ingest' });
        return undefined;
      } catch (error) {
        return isNotFound(error) ? true : undefined;
      }
    });
    assert.ok((await admin.listTopics()).includes(`${namespace}.shared`));
  });

  it('deletes the topics on deletion with deletionPolicy Delete', async () => {
    const spec = sampleSpec(brokers);
    await create('doomed', { ...spec, kafka: { ...spec.kafka, deletionPolicy: 'Delete' } });
    await ready('doomed');
    const topic = `${namespace}.doomed`;
    assert.ok((await admin.listTopics()).includes(topic));
    await custom.deleteNamespacedCustomObject({ ...pipelineResource, namespace, name: 'doomed' });
    await eventually('the pipeline gone', async () => {
      try {
        await readPipeline(kc, namespace, 'doomed');
        return undefined;
      } catch (error) {
        return isNotFound(error) ? true : undefined;
      }
    });
    await eventually(
      'both topics deleted',
      async () => {
        const topics = await admin.listTopics();
        return !topics.includes(topic) && !topics.includes(`${topic}.dlq`) ? true : undefined;
      },
      30_000,
    );
  });
});
