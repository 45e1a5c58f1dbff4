import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { createKafkaClient, createLogger } from '@event-pipeline/platform';
import { installCrd } from '../../operator/test/support.ts';
import { eventually, isNotFound, kubeConfig } from '../support/kubernetes.ts';
import { setting, uniqueName } from '../support/stack.ts';
import type { KubeObject } from './chart.ts';
import { chartDir, helm, parseObjects, repoRoot } from './chart.ts';

/**
 * `helm install --wait` into the stack's API server (kwok runs the pods as fakes), then the operator
 * the chart installed reconciles an example pipeline. No container runtime here: the operator runs
 * as a local process with the environment of the installed Deployment and a token of the chart's
 * ServiceAccount, so it has exactly the rights the chart's RBAC grants.
 */
describe('helm install of the chart, and the operator working with what it installed', () => {
  let kc: k8s.KubeConfig;
  let core: k8s.CoreV1Api;
  let apps: k8s.AppsV1Api;
  let helmEnv: Record<string, string>;
  let operator: ChildProcess | undefined;
  let operatorLog = '';
  let installed = false;
  // Short names: the release name goes into every object name.
  const release = uniqueName('epc');
  const namespace = uniqueName('ep-chart');
  const pipelines = uniqueName('ep-chart-pipes');
  const fullname = `${release}-event-pipeline`;
  const pipelineApi = { group: 'eventpipeline.io', version: 'v1alpha1', plural: 'eventpipelines' };

  before(async () => {
    kc = await kubeConfig();
    core = kc.makeApiClient(k8s.CoreV1Api);
    apps = kc.makeApiClient(k8s.AppsV1Api);
    helmEnv = { KUBECONFIG: await setting('KUBECONFIG') };
    // The CRD is cluster-wide and shared with other test files (operator/test installs the same
    // one from crds/), so this release leaves it out. The cluster-wide external metrics APIService is
    // left out for the same reason; render.test.ts and dry-run.test.ts cover both.
    await installCrd(kc);
    await core.createNamespace({ body: { metadata: { name: pipelines } } });
  });

  after(async () => {
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    // Only when a test failed half-way: drop the finalizer so the namespace can go.
    await custom
      .patchNamespacedCustomObject(
        {
          ...pipelineApi,
          namespace: pipelines,
          name: 'demo',
          body: { metadata: { finalizers: null } },
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      )
      .catch(() => undefined);
    if (operator?.exitCode === null) {
      operator.kill('SIGTERM');
      await once(operator, 'exit');
    }
    if (installed)
      await helm(['uninstall', release, '--namespace', namespace, '--wait'], helmEnv).catch(
        () => undefined,
      );
    await Promise.allSettled([namespace, pipelines].map((name) => core.deleteNamespace({ name })));
  });

  it('installs with --wait: two operator replicas Running, ServiceAccount, RBAC and PodDisruptionBudget', async () => {
    await helm(
      [
        'install',
        release,
        chartDir,
        '--namespace',
        namespace,
        '--create-namespace',
        '--wait',
        '--timeout',
        '120s',
        '--set',
        'crds.enabled=false',
        '--set',
        'metricsApi.enabled=false',
        '--set',
        `watchNamespace=${pipelines}`,
      ],
      helmEnv,
    );
    installed = true;
    const status = JSON.parse(
      await helm(['status', release, '--namespace', namespace, '--output', 'json'], helmEnv),
    ) as {
      info: { status: string; notes: string };
    };
    assert.equal(status.info.status, 'deployed');
    assert.match(status.info.notes, /examples\/production\.yaml/);

    const deployment = await apps.readNamespacedDeployment({ name: fullname, namespace });
    assert.equal(deployment.status?.readyReplicas, 2);
    const pods = await core.listNamespacedPod({
      namespace,
      labelSelector: `app.kubernetes.io/instance=${release},app.kubernetes.io/component=operator`,
    });
    assert.equal(pods.items.length, 2);
    for (const pod of pods.items) assert.equal(pod.status?.phase, 'Running', pod.metadata?.name);
    await kc
      .makeApiClient(k8s.PolicyV1Api)
      .readNamespacedPodDisruptionBudget({ name: fullname, namespace });
    await core.readNamespacedServiceAccount({ name: fullname, namespace });
    const role = await kc
      .makeApiClient(k8s.RbacAuthorizationV1Api)
      .readNamespacedRole({ name: fullname, namespace: pipelines });
    assert.ok(role.rules?.some((r) => r.resources?.includes('eventpipelines')));
  });

  it('the operator, with the Deployment environment and the ServiceAccount token, reconciles the minimal example to Ready', async () => {
    assert.ok(installed, 'the install above failed');
    const deployment = await apps.readNamespacedDeployment({ name: fullname, namespace });
    const container = deployment.spec?.template.spec?.containers[0];
    assert.ok(container);
    const env: Record<string, string> = {};
    for (const e of container.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
    assert.equal(env.WATCH_NAMESPACE, pipelines);
    assert.equal(env.LEASE_NAMESPACE, namespace);

    // A kubeconfig with the chart's ServiceAccount token instead of the admin's certificate.
    const token = await core.createNamespacedServiceAccountToken({
      name: fullname,
      namespace,
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    const cluster = kc.getCurrentCluster();
    assert.ok(cluster && token.status?.token);
    const caData =
      cluster.caData ??
      (cluster.caFile === undefined
        ? undefined
        : (await readFile(cluster.caFile)).toString('base64'));
    const dir = await mkdtemp(path.join(tmpdir(), 'chart-operator-'));
    const kubeconfigFile = path.join(dir, 'kubeconfig');
    await writeFile(
      kubeconfigFile,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'stack',
            cluster: { server: cluster.server, 'certificate-authority-data': caData },
          },
        ],
        users: [{ name: 'operator', user: { token: token.status.token } }],
        contexts: [{ name: 'operator', context: { cluster: 'stack', user: 'operator' } }],
        'current-context': 'operator',
      }),
    );
    const asOperator = new k8s.KubeConfig();
    asOperator.loadFromFile(kubeconfigFile);

    // Least privilege: nothing outside the watched namespace, no listing Secrets.
    const review = async (attributes: k8s.V1ResourceAttributes) =>
      (
        await asOperator
          .makeApiClient(k8s.AuthorizationV1Api)
          .createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: attributes } } })
      ).status?.allowed;
    assert.equal(
      await review({ verb: 'patch', group: 'apps', resource: 'deployments', namespace: pipelines }),
      true,
    );
    assert.equal(
      await review({ verb: 'patch', group: 'apps', resource: 'deployments', namespace }),
      false,
    );
    assert.equal(await review({ verb: 'list', resource: 'secrets', namespace: pipelines }), false);
    assert.equal(await review({ verb: 'get', resource: 'secrets', namespace: 'default' }), false);

    operator = spawn(process.execPath, ['operator/src/main.ts'], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH ?? '',
        ...env,
        KUBECONFIG: kubeconfigFile,
        POD_NAME: `${release}-local`,
        METRICS_PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer) => {
      operatorLog = (operatorLog + chunk.toString()).slice(-20_000);
    };
    operator.stdout?.on('data', collect);
    operator.stderr?.on('data', collect);

    const brokers = (await setting('KAFKA_BROKERS')).split(',');
    const example = parseObjects(
      await readFile(path.join(chartDir, 'examples', 'minimal.yaml'), 'utf8'),
    );
    const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    for (const object of example) {
      object.metadata.namespace = pipelines;
      if (object.kind === 'EventPipeline') {
        const spec = (object as KubeObject & { spec: { kafka: Record<string, unknown> } }).spec;
        spec.kafka.bootstrapServers = brokers;
        spec.kafka.deletionPolicy = 'Delete';
      }
      await objects.create(object);
    }
    for (const name of ['event-pipeline-redis', 'event-pipeline-postgres']) {
      await core.createNamespacedSecret({
        namespace: pipelines,
        body: { metadata: { name }, stringData: { url: 'unused://the-pods-are-fakes' } },
      });
    }

    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    try {
      const ready = await eventually(
        'the demo pipeline Ready',
        async () => {
          const p = (await custom.getNamespacedCustomObject({
            ...pipelineApi,
            namespace: pipelines,
            name: 'demo',
          })) as {
            status?: {
              conditions?: { type: string; status: string }[];
              topic?: { name: string; partitions: number };
            };
          };
          return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
            ? p
            : undefined;
        },
        90_000,
      );
      assert.deepEqual(ready.status?.topic, {
        name: `${pipelines}.demo`,
        partitions: 3,
        deadLetterTopic: `${pipelines}.demo.dlq`,
      });
    } catch (error) {
      assert.fail(`${String(error)}\noperator log:\n${operatorLog}`);
    }
    const ingest = await apps.readNamespacedDeployment({
      name: 'demo-ingest',
      namespace: pipelines,
    });
    assert.equal(ingest.spec?.template.spec?.containers[0]?.image, env.INGEST_IMAGE);
    const lease = await kc
      .makeApiClient(k8s.CoordinationV1Api)
      .readNamespacedLease({ name: env.LEASE_NAME ?? '', namespace });
    assert.equal(lease.spec?.holderIdentity, `${release}-local`);
  });

  it("deleting the pipeline runs its finalizer with the chart's rights: the topics are deleted", async () => {
    assert.ok(operator?.exitCode === null, 'the operator is not running');
    const brokers = (await setting('KAFKA_BROKERS')).split(',');
    const admin = createKafkaClient({
      brokers,
      clientId: 'chart-install-test',
      logger: createLogger({ name: 'chart-install-test', level: 'warn' }),
    }).admin();
    await admin.connect();
    try {
      const topic = `${pipelines}.demo`;
      assert.ok((await admin.listTopics()).includes(topic), `${topic} was never created`);
      const custom = kc.makeApiClient(k8s.CustomObjectsApi);
      await custom.deleteNamespacedCustomObject({
        ...pipelineApi,
        namespace: pipelines,
        name: 'demo',
      });
      await eventually(
        'the pipeline gone (finalizer removed by the operator)',
        async () => {
          try {
            await custom.getNamespacedCustomObject({
              ...pipelineApi,
              namespace: pipelines,
              name: 'demo',
            });
            return undefined;
          } catch (error) {
            return isNotFound(error) ? true : undefined;
          }
        },
        30_000,
      ).catch((error: unknown) => assert.fail(`${String(error)}\noperator log:\n${operatorLog}`));
      const left = (await admin.listTopics()).filter((t) => t.startsWith(pipelines));
      assert.deepEqual(left, []);
    } finally {
      await admin.disconnect();
    }
  });

  it('uninstall removes what the release installed', async () => {
    assert.ok(installed, 'the install above failed');
    await helm(['uninstall', release, '--namespace', namespace, '--wait'], helmEnv);
    installed = false;
    await assert.rejects(apps.readNamespacedDeployment({ name: fullname, namespace }), isNotFound);
    await assert.rejects(
      kc
        .makeApiClient(k8s.RbacAuthorizationV1Api)
        .readNamespacedRole({ name: fullname, namespace: pipelines }),
      isNotFound,
    );
  });
});
