import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Component, ComponentContext } from '../../component.ts';
import { LOOPBACK, claimPort } from '../../ports.ts';
import { versions } from '../../versions.ts';
import { waitUntil } from '../../wait.ts';
import { apiClient, insecureHealth, type ApiClient } from './api.ts';
import { buildKubernetesBinaries, type KubernetesBinaries } from './binaries.ts';
import { renderKubeconfig } from './kubeconfig.ts';
import { generatePki, type Certificate } from './pki.ts';

const NAME = 'kubernetes';
export const FAKE_NODE = 'kwok-node-0';

/** A Node that kwok keeps Ready and whose pods it moves to Running. */
export function fakeNode(name: string): object {
  const resources = { cpu: '32', memory: '256Gi', pods: '110' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        type: 'kwok',
      },
    },
    spec: {},
    status: { allocatable: resources, capacity: resources },
  };
}

function httpOk(url: string): () => Promise<void> {
  return async () => {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  };
}

async function expectStatus(
  api: ApiClient,
  path: string,
  predicate: (body: unknown) => boolean,
  describe: string,
): Promise<void> {
  const res = await api.request('GET', path);
  if (res.status !== 200)
    throw new Error(`GET ${path} answered ${res.status}: ${res.body.slice(0, 200)}`);
  if (!predicate(JSON.parse(res.body))) throw new Error(describe);
}

function nodeReady(body: unknown): boolean {
  const conditions =
    (body as { status?: { conditions?: { type: string; status: string }[] } }).status?.conditions ??
    [];
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

export function createKubernetes(): Component {
  let bins: KubernetesBinaries | undefined;
  return {
    name: NAME,
    summary: `Kubernetes ${versions.kubernetes} control plane (etcd ${versions.etcd}, kwok ${versions.kwok} fake node)`,
    debianPackages: () => [{ component: NAME, package: 'openssl', provides: 'openssl' }],
    prepare: async (ctx) => {
      bins = await buildKubernetesBinaries(ctx.cacheDir, ctx.log);
    },
    start: async (ctx) => {
      if (bins === undefined) throw new Error('kubernetes: start before prepare');
      return startControlPlane(ctx, bins);
    },
  };
}

async function startControlPlane(ctx: ComponentContext, bins: KubernetesBinaries) {
  const pkiDir = path.join(ctx.dir, 'pki');
  await mkdir(pkiDir, { recursive: true, mode: 0o700 });
  const pki = await generatePki(pkiDir);
  const port = async (name: string) => claimPort(NAME, ctx.fixedPort(name));
  const ports = {
    etcdClient: await port('etcd'),
    etcdPeer: await port('etcd-peer'),
    apiserver: await port('kube-apiserver'),
    controllerManager: await port('kube-controller-manager'),
    scheduler: await port('kube-scheduler'),
    kwok: await port('kwok'),
  };
  const etcdUrl = `http://${LOOPBACK}:${ports.etcdClient}`;
  const etcdPeerUrl = `http://${LOOPBACK}:${ports.etcdPeer}`;
  const server = `https://${LOOPBACK}:${ports.apiserver}`;

  const etcd = await ctx.spawn({
    name: 'etcd',
    command: bins.etcd,
    args: [
      '--name=local',
      `--data-dir=${path.join(ctx.dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${etcdPeerUrl}`,
      `--initial-advertise-peer-urls=${etcdPeerUrl}`,
      `--initial-cluster=local=${etcdPeerUrl}`,
      '--quota-backend-bytes=2147483648',
      // A throwaway single-member cluster for tests: skip fsync, which dominates its latency here.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ],
  });
  await waitUntil(httpOk(`${etcdUrl}/health`), {
    component: NAME,
    what: 'etcd /health',
    timeoutMs: 30_000,
    process: etcd,
    signal: ctx.signal,
  });

  const apiserver = await ctx.spawn({
    name: 'kube-apiserver',
    command: bins.kubeApiserver,
    args: [
      `--etcd-servers=${etcdUrl}`,
      `--bind-address=${LOOPBACK}`,
      `--advertise-address=${LOOPBACK}`,
      `--secure-port=${ports.apiserver}`,
      `--cert-dir=${path.join(ctx.dir, 'apiserver')}`,
      `--tls-cert-file=${pki.apiserver.cert}`,
      `--tls-private-key-file=${pki.apiserver.key}`,
      `--client-ca-file=${pki.ca.cert}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${pki.serviceAccount.publicKey}`,
      `--service-account-signing-key-file=${pki.serviceAccount.privateKey}`,
      '--service-cluster-ip-range=10.96.0.0/16',
      '--authorization-mode=RBAC',
      '--allow-privileged=true',
      // 127.0.0.1 cannot be an Endpoints address, so the `kubernetes` Service keeps no endpoints.
      '--endpoint-reconciler-type=none',
      // Aggregated APIs (external metrics) are reached through their endpoints: there is no kube-proxy.
      '--enable-aggregator-routing=true',
      `--requestheader-client-ca-file=${pki.frontProxyCa.cert}`,
      '--requestheader-allowed-names=front-proxy-client',
      '--requestheader-username-headers=X-Remote-User',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      `--proxy-client-cert-file=${pki.frontProxyClient.cert}`,
      `--proxy-client-key-file=${pki.frontProxyClient.key}`,
      '--profiling=false',
      '--event-ttl=1h',
    ],
  });
  const api = await apiClient({
    server,
    caFile: pki.ca.cert,
    certFile: pki.admin.cert,
    keyFile: pki.admin.key,
  });
  await waitUntil(
    async () => {
      const res = await api.request('GET', '/readyz');
      if (res.status !== 200)
        throw new Error(`/readyz answered ${res.status}: ${res.body.slice(0, 300)}`);
    },
    {
      component: NAME,
      what: 'kube-apiserver /readyz',
      timeoutMs: 120_000,
      process: apiserver,
      signal: ctx.signal,
    },
  );

  const kubeconfig = async (name: string, user: string, client: Certificate) => {
    const file = path.join(ctx.dir, `${name}.kubeconfig`);
    await writeFile(file, renderKubeconfig({ server, caFile: pki.ca.cert, user, client }), {
      mode: 0o600,
    });
    return file;
  };
  const adminKubeconfig = await kubeconfig('admin', 'event-pipeline-admin', pki.admin);
  const cmKubeconfig = await kubeconfig(
    'controller-manager',
    'system:kube-controller-manager',
    pki.controllerManager,
  );
  const schedulerKubeconfig = await kubeconfig('scheduler', 'system:kube-scheduler', pki.scheduler);

  const controllerManager = await ctx.spawn({
    name: 'kube-controller-manager',
    command: bins.kubeControllerManager,
    args: [
      `--kubeconfig=${cmKubeconfig}`,
      `--authentication-kubeconfig=${cmKubeconfig}`,
      `--authorization-kubeconfig=${cmKubeconfig}`,
      `--bind-address=${LOOPBACK}`,
      `--secure-port=${ports.controllerManager}`,
      `--cert-dir=${path.join(ctx.dir, 'controller-manager')}`,
      '--leader-elect=false',
      `--service-account-private-key-file=${pki.serviceAccount.privateKey}`,
      `--root-ca-file=${pki.ca.cert}`,
      '--use-service-account-credentials=true',
      `--cluster-signing-cert-file=${pki.ca.cert}`,
      `--cluster-signing-key-file=${pki.ca.key}`,
      '--profiling=false',
      // One loopback API server and no other tenant: the defaults (20 requests/s per controller,
      // 5 Deployments and ReplicaSets synced at a time) would make this control plane, not the
      // code under test, the bottleneck of every test and benchmark that creates many workloads.
      '--kube-api-qps=200',
      '--kube-api-burst=400',
      '--concurrent-deployment-syncs=10',
      '--concurrent-replicaset-syncs=10',
    ],
  });
  const scheduler = await ctx.spawn({
    name: 'kube-scheduler',
    command: bins.kubeScheduler,
    args: [
      `--kubeconfig=${schedulerKubeconfig}`,
      `--authentication-kubeconfig=${schedulerKubeconfig}`,
      `--authorization-kubeconfig=${schedulerKubeconfig}`,
      `--bind-address=${LOOPBACK}`,
      `--secure-port=${ports.scheduler}`,
      `--cert-dir=${path.join(ctx.dir, 'scheduler')}`,
      '--leader-elect=false',
      '--profiling=false',
    ],
  });
  const kwokConfig = path.join(ctx.dir, 'kwok.yaml');
  await writeFile(kwokConfig, bins.kwokStages);
  const kwok = await ctx.spawn({
    name: 'kwok',
    command: bins.kwok,
    args: [
      `--kubeconfig=${adminKubeconfig}`,
      `--config=${kwokConfig}`,
      '--manage-all-nodes=false',
      '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
      `--server-address=${LOOPBACK}:${ports.kwok}`,
      '--node-lease-duration-seconds=40',
    ],
    extraEnv: { HOME: ctx.dir },
  });
  await Promise.all([
    waitUntil(() => insecureHealth(`https://${LOOPBACK}:${ports.controllerManager}/healthz`), {
      component: NAME,
      what: 'kube-controller-manager /healthz',
      timeoutMs: 60_000,
      process: controllerManager,
      signal: ctx.signal,
    }),
    waitUntil(() => insecureHealth(`https://${LOOPBACK}:${ports.scheduler}/healthz`), {
      component: NAME,
      what: 'kube-scheduler /healthz',
      timeoutMs: 60_000,
      process: scheduler,
      signal: ctx.signal,
    }),
    waitUntil(httpOk(`http://${LOOPBACK}:${ports.kwok}/healthz`), {
      component: NAME,
      what: 'kwok /healthz',
      timeoutMs: 60_000,
      process: kwok,
      signal: ctx.signal,
    }),
  ]);

  const created = await api.request('POST', '/api/v1/nodes', fakeNode(FAKE_NODE));
  if (created.status !== 201)
    throw new Error(
      `creating node ${FAKE_NODE} answered ${created.status}: ${created.body.slice(0, 300)}`,
    );
  await waitUntil(
    () => expectStatus(api, `/api/v1/nodes/${FAKE_NODE}`, nodeReady, 'node not Ready yet'),
    {
      component: NAME,
      what: `node ${FAKE_NODE} Ready (kwok)`,
      timeoutMs: 60_000,
      process: kwok,
      signal: ctx.signal,
    },
  );
  // Pods need their namespace's `default` ServiceAccount, which the controller-manager creates.
  await waitUntil(
    () => expectStatus(api, '/api/v1/namespaces/default/serviceaccounts/default', () => true, ''),
    {
      component: NAME,
      what: 'the default ServiceAccount',
      timeoutMs: 60_000,
      process: controllerManager,
      signal: ctx.signal,
    },
  );

  return {
    env: { KUBECONFIG: adminKubeconfig },
    endpoints: { 'kube-apiserver': server, kubeconfig: adminKubeconfig },
  };
}
