import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { eventually, kubeConfig } from '../../test/support/kubernetes.ts';
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

describe('two operator replicas with leader election', () => {
  let kc: k8s.KubeConfig;
  let brokers: string[];
  let first: ChildProcess;
  let second: RunningOperator;
  const namespace = uniqueName('ep-leader');
  const lease = { namespace, name: 'event-pipeline-operator' };

  before(async () => {
    kc = await kubeConfig();
    brokers = (await setting('KAFKA_BROKERS')).split(',');
    await installCrd(kc);
    await createNamespace(kc, namespace);
    // The first replica is a real operator process (main.ts), so it can be killed with SIGKILL.
    first = spawn(process.execPath, [fileURLToPath(new URL('../src/main.ts', import.meta.url))], {
      env: {
        PATH: process.env.PATH ?? '',
        KUBECONFIG: await setting('KUBECONFIG'),
        WATCH_NAMESPACE: namespace,
        LEASE_NAMESPACE: namespace,
        LEASE_NAME: lease.name,
        POD_NAME: 'first',
        METRICS_PORT: '0',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const coordination = kc.makeApiClient(k8s.CoordinationV1Api);
    await eventually(
      'the first replica to hold the lease',
      async () => {
        const held = await coordination.readNamespacedLease(lease);
        return held.spec?.holderIdentity === 'first' ? true : undefined;
      },
      30_000,
    );
    second = await runOperator(kc, namespace, { leaderElection: { ...lease, identity: 'second' } });
  });
  after(async () => {
    if (first.exitCode === null && first.signalCode === null) first.kill('SIGKILL');
    await second.operator.stop();
    await deleteNamespace(kc, namespace);
  });

  it('only the leader writes', async () => {
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    await custom.createNamespacedCustomObject({
      ...pipelineResource,
      namespace,
      body: pipelineBody('led', sampleSpec(brokers)),
    });
    await eventually('Ready', async () => {
      const p = await readPipeline(kc, namespace, 'led');
      return condition(p, 'Ready')?.status === 'True' ? p : undefined;
    });
    assert.equal(second.writes(), 0, 'the follower wrote nothing');
    assert.equal(second.operator.isLeader(), false);
  });

  it('the other replica takes over within 20 s of the leader dying', async () => {
    const coordination = kc.makeApiClient(k8s.CoordinationV1Api);
    const held = await coordination.readNamespacedLease(lease);
    assert.equal(held.spec?.holderIdentity, 'first');
    // A death, not a clean shutdown: SIGKILL, so the lease is never released.
    first.kill('SIGKILL');
    await once(first, 'exit');
    const died = Date.now();
    await eventually(
      'the second replica to lead',
      () => Promise.resolve(second.operator.isLeader() ? true : undefined),
      25_000,
    );
    const tookOver = Date.now() - died;
    assert.ok(tookOver <= 20_000, `took over after ${tookOver} ms`);
    assert.equal((await coordination.readNamespacedLease(lease)).spec?.holderIdentity, 'second');

    // The new leader reconciles: a spec change is applied by it.
    const before = second.writes();
    await kc.makeApiClient(k8s.CustomObjectsApi).patchNamespacedCustomObject(
      {
        ...pipelineResource,
        namespace,
        name: 'led',
        body: { spec: { ingest: { replicas: 3 } } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await eventually(
      'the new leader applied the change',
      async () => {
        const d = await kc
          .makeApiClient(k8s.AppsV1Api)
          .readNamespacedDeployment({ namespace, name: 'led-ingest' });
        return d.spec?.replicas === 3 ? true : undefined;
      },
      20_000,
    );
    assert.ok(second.writes() > before);
  });
});
