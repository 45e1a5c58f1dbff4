import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { versions } from '@event-pipeline/stack';
import { eventually, isNotFound, kubeConfig } from '../support/kubernetes.ts';
import { uniqueName } from '../support/stack.ts';

describe('Kubernetes control plane from the stack', () => {
  let kc: k8s.KubeConfig;
  let core: k8s.CoreV1Api;
  const namespace = uniqueName('smoke');

  before(async () => {
    kc = await kubeConfig();
    core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    // Pods need the namespace's default ServiceAccount, which the controller-manager creates.
    await eventually('the default ServiceAccount', async () =>
      core.readNamespacedServiceAccount({ name: 'default', namespace }),
    );
  });
  after(async () => {
    await core.deleteNamespace({ name: namespace });
  });

  it('reports the version it was built as', async () => {
    const info = await kc.makeApiClient(k8s.VersionApi).getCode();
    assert.equal(info.gitVersion, versions.kubernetes);
  });

  it('establishes a CRD, then creates and watches a custom object', async () => {
    const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
    const group = 'smoke.eventpipeline.io';
    const plural = `widgets${Date.now().toString(36)}`;
    const name = `${plural}.${group}`;
    await ext.createCustomResourceDefinition({
      body: {
        metadata: { name },
        spec: {
          group,
          scope: 'Namespaced',
          names: {
            plural,
            singular: plural.slice(0, -1),
            kind: `Widget${Date.now().toString(36)}`,
            listKind: `WidgetList${Date.now().toString(36)}`,
          },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: {
                    spec: { type: 'object', properties: { size: { type: 'integer', minimum: 1 } } },
                  },
                },
              },
            },
          ],
        },
      },
    });
    try {
      await eventually('the CRD to be Established', async () => {
        const crd = await ext.readCustomResourceDefinition({ name });
        return crd.status?.conditions?.some(
          (c) => c.type === 'Established' && c.status === 'True',
        ) === true
          ? crd
          : undefined;
      });

      const custom = kc.makeApiClient(k8s.CustomObjectsApi);
      await eventually('the new resource to be served', async () => {
        await custom.listNamespacedCustomObject({ group, version: 'v1', namespace, plural });
        return true;
      });
      const seen: string[] = [];
      let watchEnded: string | undefined;
      const watching = await new k8s.Watch(kc).watch(
        `/apis/${group}/v1/namespaces/${namespace}/${plural}`,
        {},
        (phase, obj: { metadata?: { name?: string } }) =>
          seen.push(`${phase} ${obj.metadata?.name ?? ''}`),
        (error: unknown) => (watchEnded = error instanceof Error ? error.message : 'ended'),
      );
      try {
        const body = {
          apiVersion: `${group}/v1`,
          kind: (await ext.readCustomResourceDefinition({ name })).spec.names.kind,
          metadata: { name: 'first' },
          spec: { size: 3 },
        };
        await custom.createNamespacedCustomObject({
          group,
          version: 'v1',
          namespace,
          plural,
          body,
        });
        await eventually(
          'the ADDED watch event',
          () => {
            if (watchEnded !== undefined) throw new Error(`the watch ended early: ${watchEnded}`);
            return Promise.resolve(seen.includes('ADDED first') ? true : undefined);
          },
          20_000,
        );
        // The schema is enforced: an invalid object is refused by the API server.
        await assert.rejects(
          custom.createNamespacedCustomObject({
            group,
            version: 'v1',
            namespace,
            plural,
            body: { ...body, metadata: { name: 'bad' }, spec: { size: 0 } },
          }),
          (error: unknown) => error instanceof k8s.ApiException && error.code === 422,
        );
      } finally {
        watching.abort();
      }
    } finally {
      await ext.deleteCustomResourceDefinition({ name });
    }
  });

  it('runs a Deployment whose pod becomes Running on the kwok node', async () => {
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const labels = { app: 'smoke-web' };
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'smoke-web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: { containers: [{ name: 'web', image: 'registry.invalid/web:1' }] },
          },
        },
      },
    });
    const pods = await eventually('two Running pods', async () => {
      const list = await core.listNamespacedPod({ namespace, labelSelector: 'app=smoke-web' });
      const running = list.items.filter((p) => p.status?.phase === 'Running');
      return running.length === 2 ? running : undefined;
    });
    assert.ok(pods.every((p) => p.spec?.nodeName === 'kwok-node-0'));
    await eventually('the Deployment to report 2 ready replicas', async () => {
      const d = await apps.readNamespacedDeployment({ name: 'smoke-web', namespace });
      return d.status?.readyReplicas === 2 ? d : undefined;
    });
  });

  it('garbage-collects a child object after its owner is deleted', async () => {
    const owner = await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'owner' }, data: { role: 'owner' } },
    });
    const ownerReference = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      name: 'owner',
      uid: owner.metadata?.uid ?? '',
    };
    await core.createNamespacedConfigMap({
      namespace,
      body: {
        metadata: { name: 'child', ownerReferences: [ownerReference] },
        data: { role: 'child' },
      },
    });
    await core.deleteNamespacedConfigMap({ name: 'owner', namespace });
    await eventually('the garbage collector to delete the child', async () => {
      try {
        await core.readNamespacedConfigMap({ name: 'child', namespace });
        return undefined;
      } catch (error) {
        if (isNotFound(error)) return true;
        throw error;
      }
    });
  });
});
