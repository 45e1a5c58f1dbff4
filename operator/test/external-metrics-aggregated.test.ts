import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { createKafkaClient, createLogger } from '@event-pipeline/platform';
import { eventually, kubeConfig } from '../../test/support/kubernetes.ts';
import { setting, uniqueName } from '../../test/support/stack.ts';
import { createKubeWriter } from '../src/runtime/kube-writer.ts';
import { parseQuantity } from '../src/runtime/quantity.ts';
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

const run = promisify(execFile);
const APISERVICE = 'v1beta1.external.metrics.k8s.io';

/** The API server refuses loopback endpoints: serve on this host's first non-loopback IPv4. */
function hostAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    const found = addresses?.find((a) => a.family === 'IPv4' && !a.internal);
    if (found !== undefined) return found.address;
  }
  throw new Error('this test needs a non-loopback IPv4 address the API server can route to');
}

async function serverCertificate(dir: string, dnsName: string, ip: string) {
  const ssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  await ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=metrics-ca',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
  );
  await ssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    `/CN=${dnsName}`,
    '-keyout',
    'tls.key',
    '-out',
    'tls.csr',
  );
  await run('bash', ['-c', `echo 'subjectAltName=DNS:${dnsName},IP:${ip}' > san.ext`], {
    cwd: dir,
  });
  await ssl(
    'x509',
    '-req',
    '-in',
    'tls.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    'san.ext',
    '-out',
    'tls.crt',
  );
  const read = (file: string) => readFile(path.join(dir, file), 'utf8');
  return { ca: await read('ca.crt'), cert: await read('tls.crt'), key: await read('tls.key') };
}

describe('consumer lag through the aggregation layer: API server → operator → HPA scales consumers', () => {
  let kc: k8s.KubeConfig;
  let running: RunningOperator;
  let brokers: string[];
  const namespace = uniqueName('ep-aggregated');
  const service = 'event-pipeline-metrics';
  const logger = createLogger({ name: 'aggregated-test', level: 'warn' });

  before(async () => {
    kc = await kubeConfig();
    brokers = (await setting('KAFKA_BROKERS')).split(',');
    await installCrd(kc);
    await createNamespace(kc, namespace);
    const ip = hostAddress();
    const tls = await serverCertificate(
      await mkdtemp(path.join(tmpdir(), 'ep-agg-')),
      `${service}.${namespace}.svc`,
      ip,
    );
    // Only the aggregator (its front-proxy client certificate) is served.
    const clientCa = await readFile(
      path.join(path.dirname(await setting('KUBECONFIG')), 'pki', 'front-proxy-ca.crt'),
      'utf8',
    );
    running = await runOperator(kc, namespace, {
      metricsApi: { port: 0, host: ip, tls, clientCa },
    });
    const port = running.operator.metricsApiPort ?? 0;

    const writer = createKubeWriter(kc);
    await writer.apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: service, namespace },
      spec: { ports: [{ name: 'https', port: 443, targetPort: port, protocol: 'TCP' }] },
    });
    await writer.apply({
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: service, namespace },
      subsets: [{ addresses: [{ ip }], ports: [{ name: 'https', port, protocol: 'TCP' }] }],
    });
    await writer.apply({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: service, namespace, labels: { 'kubernetes.io/service-name': service } },
      addressType: 'IPv4',
      endpoints: [{ addresses: [ip], conditions: { ready: true } }],
      ports: [{ name: 'https', port, protocol: 'TCP' }],
    });
    // The manifests' RBAC: the HPA controller may read external metrics.
    await writer.apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'event-pipeline-external-metrics-reader' },
      rules: [
        {
          apiGroups: ['external.metrics.k8s.io'],
          resources: ['*'],
          verbs: ['get', 'list', 'watch'],
        },
      ],
    });
    await writer.apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'event-pipeline-external-metrics-reader' },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'event-pipeline-external-metrics-reader',
      },
      subjects: [
        { kind: 'ServiceAccount', name: 'horizontal-pod-autoscaler', namespace: 'kube-system' },
      ],
    });
    await writer.apply({
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: APISERVICE },
      spec: {
        group: 'external.metrics.k8s.io',
        version: 'v1beta1',
        groupPriorityMinimum: 100,
        versionPriority: 100,
        service: { name: service, namespace, port: 443 },
        caBundle: Buffer.from(tls.ca).toString('base64'),
      },
    });
    const registration = kc.makeApiClient(k8s.ApiregistrationV1Api);
    await eventually(
      'the APIService Available',
      async () => {
        const api = await registration.readAPIService({ name: APISERVICE });
        return api.status?.conditions?.some(
          (c) => c.type === 'Available' && c.status === 'True',
        ) === true
          ? true
          : undefined;
      },
      60_000,
    );
  });
  after(async () => {
    await kc
      .makeApiClient(k8s.ApiregistrationV1Api)
      .deleteAPIService({ name: APISERVICE })
      .catch(() => undefined);
    await running.operator.stop();
    await deleteNamespace(kc, namespace);
  });

  it('serves the lag through the API server and the HPA scales the consumers on it', async () => {
    const spec = sampleSpec(brokers);
    await kc.makeApiClient(k8s.CustomObjectsApi).createNamespacedCustomObject({
      ...pipelineResource,
      namespace,
      body: pipelineBody('scaled', {
        ...spec,
        dedup: { ...spec.dedup, consumers: { minReplicas: 1, maxReplicas: 6, lagThreshold: 5 } },
      }),
    });
    await eventually('Ready', async () => {
      const p = await readPipeline(kc, namespace, 'scaled');
      return condition(p, 'Ready')?.status === 'True' ? p : undefined;
    });
    const producer = createKafkaClient({ brokers, clientId: 'aggregated-test', logger }).producer();
    await producer.connect();
    await producer.send({
      topic: `${namespace}.scaled`,
      messages: Array.from({ length: 15 }, (_, i) => ({ value: `m${i}`, partition: i % 3 })),
    });
    await producer.disconnect();

    // Through the API server, as the HPA controller asks.
    const list = (await kc.makeApiClient(k8s.CustomObjectsApi).listNamespacedCustomObject({
      group: 'external.metrics.k8s.io',
      version: 'v1beta1',
      namespace,
      plural: 'eventpipeline_consumer_lag',
      labelSelector: 'pipeline=scaled',
    })) as { items: { value: string; metricLabels: Record<string, string> }[] };
    assert.deepEqual(
      list.items.map((i) => [i.metricLabels, i.value]),
      [[{ pipeline: 'scaled' }, '15']],
    );

    // lag 15 / target 5 per replica = 3 consumers (also the partition cap).
    const hpa = await eventually(
      'the HPA to see the metric and want 3 replicas',
      async () => {
        const h = await kc
          .makeApiClient(k8s.AutoscalingV2Api)
          .readNamespacedHorizontalPodAutoscaler({ namespace, name: 'scaled-dedup' });
        return h.status?.desiredReplicas === 3 ? h : undefined;
      },
      90_000,
    );
    // The HPA read the metric: its average per current replica times the replicas is the lag.
    const average = parseQuantity(
      hpa.status?.currentMetrics?.[0]?.external?.current.averageValue ?? '',
    );
    assert.equal((average ?? 0) * (hpa.status?.currentReplicas ?? 0), 15);
    await eventually(
      'the consumer Deployment scaled to 3',
      async () => {
        const d = await kc
          .makeApiClient(k8s.AppsV1Api)
          .readNamespacedDeployment({ namespace, name: 'scaled-dedup' });
        return d.spec?.replicas === 3 ? d : undefined;
      },
      60_000,
    );
  });
});
