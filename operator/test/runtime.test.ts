import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { createLogger } from '@event-pipeline/platform';
import { eventually, kubeConfig } from '../../test/support/kubernetes.ts';
import { uniqueName } from '../../test/support/stack.ts';
import { startInformer } from '../src/runtime/informer.ts';
import { FIELD_MANAGER, createKubeWriter } from '../src/runtime/kube-writer.ts';
import { addFinalizer, removeFinalizer } from '../src/runtime/finalizer.ts';
import {
  createNamespace,
  deleteNamespace,
  installCrd,
  pipelineBody,
  pipelineResource,
  sampleSpec,
} from './support.ts';

const logger = createLogger({ name: 'runtime-test', level: 'silent' });

describe('the controller runtime against the real API server', () => {
  let kc: k8s.KubeConfig;
  const namespace = uniqueName('ep-runtime');

  before(async () => {
    kc = await kubeConfig();
    await installCrd(kc);
    await createNamespace(kc, namespace);
  });
  after(async () => {
    await deleteNamespace(kc, namespace);
  });

  it('server-side applies under one field manager; a re-apply of the same object changes nothing', async () => {
    const writer = createKubeWriter(kc);
    const body: k8s.V1ConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'applied', namespace },
      data: { a: '1' },
    };
    const first = await writer.apply(body);
    const again = await writer.apply(body);
    assert.equal(again.metadata?.resourceVersion, first.metadata?.resourceVersion);
    assert.deepEqual(
      again.metadata?.managedFields?.map((f) => f.manager),
      [FIELD_MANAGER],
    );
    // Another manager's change to our field is taken back by the forced apply.
    await kc
      .makeApiClient(k8s.CoreV1Api)
      .patchNamespacedConfigMap(
        { namespace, name: 'applied', body: { data: { a: '2' } }, fieldManager: 'someone-else' },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
    const restored = await writer.apply(body);
    assert.equal(restored.data?.a, '1');
  });

  it('writes status through the status subresource without touching spec or generation', async () => {
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const created = (await custom.createNamespacedCustomObject({
      ...pipelineResource,
      namespace,
      body: pipelineBody('status', sampleSpec(['k:9092'])),
    })) as { metadata: { generation: number } };
    const writer = createKubeWriter(kc);
    await writer.applyStatus(pipelineResource, {
      apiVersion: 'eventpipeline.io/v1alpha1',
      kind: 'EventPipeline',
      metadata: { name: 'status', namespace },
      status: { observedGeneration: 1, topic: { name: 't', partitions: 3 } },
    });
    const read = (await custom.getNamespacedCustomObject({
      ...pipelineResource,
      namespace,
      name: 'status',
    })) as {
      metadata: { generation: number };
      status: { topic: { partitions: number } };
    };
    assert.equal(read.status.topic.partitions, 3);
    assert.equal(read.metadata.generation, created.metadata.generation);
  });

  it('adds a finalizer next to others and removes only its own', async () => {
    const writer = createKubeWriter(kc);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'fin', finalizers: ['example.com/other'] } },
    });
    const object = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fin', namespace } };
    await addFinalizer(writer, object, 'eventpipeline.io/topics');
    let read = await core.readNamespacedConfigMap({ namespace, name: 'fin' });
    assert.deepEqual([...(read.metadata?.finalizers ?? [])].sort(), [
      'eventpipeline.io/topics',
      'example.com/other',
    ]);
    await removeFinalizer(writer, read, 'eventpipeline.io/topics');
    read = await core.readNamespacedConfigMap({ namespace, name: 'fin' });
    assert.deepEqual(read.metadata?.finalizers, ['example.com/other']);
    await core.patchNamespacedConfigMap(
      { namespace, name: 'fin', body: { metadata: { finalizers: null } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
  });

  it('an informer whose watch fails reports unhealthy, retries, and recovers once the resource exists', async () => {
    const group = `${uniqueName('rt').replaceAll('-', '')}.eventpipeline.io`;
    const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const seen: string[] = [];
    const informer = await startInformer<k8s.KubernetesObject>({
      name: 'things',
      kubeConfig: kc,
      path: `/apis/${group}/v1/namespaces/${namespace}/things`,
      list: async () =>
        (await custom.listNamespacedCustomObject({
          group,
          version: 'v1',
          namespace,
          plural: 'things',
        })) as k8s.KubernetesListObject<k8s.KubernetesObject>,
      onEvent: (event, object) => seen.push(`${event} ${object.metadata?.name ?? ''}`),
      logger,
      restartDelayMs: 300,
    });
    try {
      assert.equal(informer.healthy(), false, 'the list of a missing resource fails');
      assert.ok(informer.lastError());
      await ext.createCustomResourceDefinition({
        body: {
          metadata: { name: `things.${group}` },
          spec: {
            group,
            scope: 'Namespaced',
            names: { plural: 'things', singular: 'thing', kind: 'Thing' },
            versions: [
              {
                name: 'v1',
                served: true,
                storage: true,
                schema: {
                  openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true },
                },
              },
            ],
          },
        },
      });
      try {
        await eventually(
          'the informer to become healthy',
          () => Promise.resolve(informer.healthy() ? true : undefined),
          30_000,
        );
        await eventually(
          'the resource to be served',
          async () => {
            await custom.createNamespacedCustomObject({
              group,
              version: 'v1',
              namespace,
              plural: 'things',
              body: { apiVersion: `${group}/v1`, kind: 'Thing', metadata: { name: 'one' } },
            });
            return true;
          },
          20_000,
        );
        await eventually(
          'the add event',
          () => Promise.resolve(seen.includes('add one') ? true : undefined),
          20_000,
        );
        assert.equal(informer.cache.get('one', namespace)?.metadata?.name, 'one');
      } finally {
        await ext.deleteCustomResourceDefinition({ name: `things.${group}` });
      }
    } finally {
      await informer.stop();
    }
  });
});
