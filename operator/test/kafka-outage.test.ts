import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import { down, startComponent, stopComponent, up } from '@event-pipeline/stack';
import { eventually, kubeConfig } from '../../test/support/kubernetes.ts';
import { uniqueName } from '../../test/support/stack.ts';
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
import * as client from '@kubernetes/client-node';

describe('Kafka down during reconcile (private Kafka, shared control plane)', () => {
  let stateDir: string;
  let brokers: string[];
  let kc: k8s.KubeConfig;
  let running: RunningOperator;
  const namespace = uniqueName('ep-kafka-down');

  before(async () => {
    stateDir = await mkdtemp(path.join(tmpdir(), 'ep-operator-kafka-'));
    const { env } = await up(['kafka'], { stateDir });
    brokers = (env.KAFKA_BROKERS ?? '').split(',');
    kc = await kubeConfig();
    await installCrd(kc);
    await createNamespace(kc, namespace);
    running = await runOperator(kc, namespace, {
      backoff: { baseMs: 500, maxMs: 3_000 },
      finalizerTimeoutMs: 10_000,
    });
  });
  after(async () => {
    await running.operator.stop();
    await deleteNamespace(kc, namespace);
    await down({ stateDir });
  });

  it('reports KafkaUnavailable without crashing, keeps the children, and recovers', async () => {
    const custom = kc.makeApiClient(client.CustomObjectsApi);
    await custom.createNamespacedCustomObject({
      ...pipelineResource,
      namespace,
      body: pipelineBody('outage', sampleSpec(brokers)),
    });
    await eventually('Ready before the outage', async () => {
      const p = await readPipeline(kc, namespace, 'outage');
      return condition(p, 'Ready')?.status === 'True' ? p : undefined;
    });

    await stopComponent({ stateDir, component: 'kafka' });
    // A spec change forces a reconcile that needs Kafka (partitions grow).
    await custom.patchNamespacedCustomObject(
      {
        ...pipelineResource,
        namespace,
        name: 'outage',
        body: { spec: { kafka: { topic: { partitions: 5 } } } },
      },
      client.setHeaderOptions('Content-Type', client.PatchStrategy.MergePatch),
    );
    const down = await eventually(
      'TopicReady=False KafkaUnavailable',
      async () => {
        const p = await readPipeline(kc, namespace, 'outage');
        return condition(p, 'TopicReady')?.reason === 'KafkaUnavailable' ? p : undefined;
      },
      60_000,
    );
    assert.equal(condition(down, 'TopicReady')?.status, 'False');
    assert.equal(condition(down, 'Ready')?.status, 'False');
    assert.match(condition(down, 'TopicReady')?.message ?? '', /unreachable/);
    // The Kubernetes side is still reconciled while Kafka is away.
    assert.equal(condition(down, 'IngestReady')?.status, 'True');
    const events = await kc.makeApiClient(client.CoreV1Api).listNamespacedEvent({ namespace });
    assert.ok(
      events.items.some(
        (e) => e.reason === 'KafkaUnavailable' && e.involvedObject.name === 'outage',
      ),
    );

    await startComponent({ stateDir, component: 'kafka' });
    const recovered = await eventually(
      'Ready again with 5 partitions',
      async () => {
        const p = await readPipeline(kc, namespace, 'outage');
        return condition(p, 'Ready')?.status === 'True' && p.status?.topic?.partitions === 5
          ? p
          : undefined;
      },
      90_000,
    );
    assert.equal(condition(recovered, 'TopicReady')?.reason, 'Reconciled');
  });

  it('a deletion with Kafka gone retries, then gives up after the bound with a condition and an Event', async () => {
    const custom = kc.makeApiClient(client.CustomObjectsApi);
    await custom.patchNamespacedCustomObject(
      {
        ...pipelineResource,
        namespace,
        name: 'outage',
        body: { spec: { kafka: { deletionPolicy: 'Delete' } } },
      },
      client.setHeaderOptions('Content-Type', client.PatchStrategy.MergePatch),
    );
    await eventually('the policy change seen', async () => {
      const p = await readPipeline(kc, namespace, 'outage');
      return p.status?.observedGeneration === p.metadata.generation ? p : undefined;
    });
    await stopComponent({ stateDir, component: 'kafka' });
    const deleted = Date.now();
    await custom.deleteNamespacedCustomObject({ ...pipelineResource, namespace, name: 'outage' });
    const failing = await eventually(
      'TopicReady=False CleanupFailed while retrying',
      async () => {
        const p = await readPipeline(kc, namespace, 'outage');
        return condition(p, 'TopicReady')?.reason === 'CleanupFailed' ? p : undefined;
      },
      20_000,
    );
    assert.deepEqual(
      failing.metadata.finalizers,
      ['eventpipeline.io/topics'],
      'still blocked while retrying',
    );
    await eventually(
      'the pipeline deleted after the bound',
      async () => {
        try {
          await readPipeline(kc, namespace, 'outage');
          return undefined;
        } catch (error) {
          return error instanceof client.ApiException && error.code === 404 ? true : undefined;
        }
      },
      40_000,
    );
    // deletionTimestamp has whole-second precision: allow that much before the 10 s bound.
    assert.ok(Date.now() - deleted >= 9_000, 'not before the bound');
    const events = await kc.makeApiClient(client.CoreV1Api).listNamespacedEvent({ namespace });
    const abandoned = events.items.find((e) => e.reason === 'TopicCleanupAbandoned');
    assert.ok(abandoned, 'a Warning Event says the topics were left behind');
    assert.equal(abandoned.type, 'Warning');
    assert.match(abandoned.message ?? '', /delete them by hand/);
  });
});
