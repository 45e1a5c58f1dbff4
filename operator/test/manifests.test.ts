import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { kubeConfig } from '../../test/support/kubernetes.ts';
import { uniqueName } from '../../test/support/stack.ts';
import { FIELD_MANAGER, typed } from '../src/runtime/kube-writer.ts';
import { createNamespace, deleteNamespace } from './support.ts';

const dir = new URL('../manifests/', import.meta.url);

describe('operator/manifests (RBAC, APIService, Deployment) for the chart', () => {
  let kc: k8s.KubeConfig;
  const namespace = uniqueName('ep-manifests');

  before(async () => {
    kc = await kubeConfig();
    await createNamespace(kc, namespace);
  });
  after(async () => {
    await deleteNamespace(kc, namespace);
  });

  it('every object is accepted by the real API server (server-side dry run)', async () => {
    const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort();
    assert.ok(files.length >= 3);
    const kinds: string[] = [];
    for (const file of files) {
      const text = (await readFile(new URL(file, dir), 'utf8')).replaceAll(
        'namespace: event-pipeline-system',
        `namespace: ${namespace}`,
      );
      for (const doc of parseAllDocuments(text)) {
        const object = doc.toJS() as k8s.KubernetesObject | null;
        if (object === null) continue;
        kinds.push(object.kind ?? '');
        await objects.patch(
          typed(object),
          undefined,
          'All',
          FIELD_MANAGER,
          true,
          k8s.PatchStrategy.ServerSideApply,
        );
      }
    }
    for (const kind of ['APIService', 'ClusterRole', 'Deployment', 'Service', 'ServiceAccount']) {
      assert.ok(kinds.includes(kind), kind);
    }
  });
});
