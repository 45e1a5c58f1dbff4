import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { parse } from 'yaml';
import { installCrd } from '../../operator/test/support.ts';
import { kubeConfig } from '../support/kubernetes.ts';
import { uniqueName } from '../support/stack.ts';
import type { KubeObject } from './chart.ts';
import { chartDir, parseObjects, render, scenarios } from './chart.ts';

/** API groups whose CRDs the test API server does not have (cert-manager, prometheus-operator). */
const NOT_SERVED_HERE = new Set(['cert-manager.io', 'monitoring.coreos.com']);
const FIELD_MANAGER = 'chart-dry-run';

function describeFailure(error: unknown): string {
  if (error instanceof k8s.ApiException) {
    const body: unknown = error.body;
    return typeof body === 'string' ? body : JSON.stringify(body);
  }
  return String(error);
}

describe('the rendered chart against the real API server (server-side dry run)', () => {
  let kc: k8s.KubeConfig;
  let objects: k8s.KubernetesObjectApi;
  let served: Set<string>;
  const namespace = uniqueName('ep-chart-dry');
  const watched = uniqueName('ep-chart-dry-watch');

  before(async () => {
    kc = await kubeConfig();
    objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    // The examples are validated by the CRD (the same one the chart templates: render.test.ts).
    await installCrd(kc);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    for (const name of [namespace, watched])
      await core.createNamespace({ body: { metadata: { name } } });
    const groups = await kc.makeApiClient(k8s.ApisApi).getAPIVersions();
    served = new Set([
      'v1',
      ...groups.groups.flatMap((g) => g.versions.map((v) => v.groupVersion)),
    ]);
  });
  after(async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await Promise.allSettled([namespace, watched].map((name) => core.deleteNamespace({ name })));
  });

  async function dryRunApply(object: KubeObject): Promise<void> {
    await objects.patch(
      object,
      undefined,
      'All',
      FIELD_MANAGER,
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
  }

  it('accepts every object of every ci scenario', async () => {
    for (const file of await scenarios()) {
      const scenario = path.basename(file);
      const values = (parse(await readFile(file, 'utf8')) ?? {}) as { watchNamespace?: string };
      const rendered = await render({
        namespace,
        valuesFiles: [file],
        // The Role of a watched namespace needs that namespace to exist.
        set: values.watchNamespace === undefined ? {} : { watchNamespace: watched },
      });
      let applied = 0;
      for (const object of rendered) {
        const id = `${scenario}: ${object.kind} ${object.metadata.name}`;
        if (!served.has(object.apiVersion)) {
          const group = object.apiVersion.split('/')[0] ?? '';
          assert.ok(
            NOT_SERVED_HERE.has(group),
            `${id}: ${object.apiVersion} is not served by Kubernetes`,
          );
          continue;
        }
        try {
          await dryRunApply(object);
        } catch (error) {
          assert.fail(`${id} was refused: ${describeFailure(error)}`);
        }
        applied += 1;
      }
      assert.ok(
        applied >= rendered.length - 3,
        `${scenario}: only ${applied} of ${rendered.length} applied`,
      );
    }
  });

  it('refuses a broken manifest, so acceptance above means something', async () => {
    const deployment = (await render({ namespace })).find((o) => o.kind === 'Deployment');
    assert.ok(deployment);
    const broken = structuredClone(deployment) as KubeObject & { spec: { replicas: unknown } };
    broken.spec.replicas = 'two';
    await assert.rejects(dryRunApply(broken));
  });

  it('validates every example EventPipeline with the CRD from the chart', async () => {
    const dir = path.join(chartDir, 'examples');
    const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort();
    assert.ok(files.length >= 2);
    let pipelines = 0;
    for (const file of files) {
      for (const object of parseObjects(await readFile(path.join(dir, file), 'utf8'))) {
        object.metadata.namespace = namespace;
        try {
          await dryRunApply(object);
        } catch (error) {
          assert.fail(
            `${file}: ${object.kind} ${object.metadata.name} was refused: ${describeFailure(error)}`,
          );
        }
        if (object.kind === 'EventPipeline') pipelines += 1;
      }
    }
    assert.ok(pipelines >= 2, 'a minimal and a production-like pipeline');
    // An example with lowered partitions or a bad schedule would be refused the same way.
    const bad = parseObjects(
      await readFile(path.join(dir, 'production.yaml'), 'utf8'),
    )[0] as KubeObject & {
      spec: { archive: { schedule: string } };
    };
    bad.metadata.namespace = namespace;
    bad.spec.archive.schedule = 'every hour';
    await assert.rejects(dryRunApply(bad), /schedule must be five cron fields/);
  });
});
