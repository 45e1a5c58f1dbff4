/**
 * make bench-operator: N EventPipelines created at once against a private stack (real
 * kube-apiserver, controller-manager, kwok, Kafka). Measures the time until all are Ready, API
 * writes per pipeline, and API writes during an idle period afterwards (resyncs included).
 * Baseline in the same run: the same children and topics created directly by a client (no
 * operator), timed until their Deployments are ready; the operator's time is reported as a ratio.
 *
 *   node bench/operator.ts [--pipelines=200] [--idle=300] [--workers=32] [--resync=60]
 */
import '../test/support/process-warnings.ts';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import * as k8s from '@kubernetes/client-node';
import { createKafkaClient, createLogger, createMetrics } from '@event-pipeline/platform';
import { writeResults } from './results-file.ts';
import { down, up } from '@event-pipeline/stack';
import { buildCrd, CRD_NAME } from '../operator/src/api/crd.ts';
import { API_GROUP, API_VERSION, KIND, PLURAL } from '../operator/src/api/eventpipeline-spec.ts';
import { parsePipeline } from '../operator/src/api/resource.ts';
import type { EventPipelineObject } from '../operator/src/api/resource.ts';
import { desiredArchiveCronJob } from '../operator/src/desired/archive.ts';
import {
  desiredConsumerDeployment,
  desiredConsumerHpa,
} from '../operator/src/desired/consumers.ts';
import { desiredIngestDeployment, desiredIngestService } from '../operator/src/desired/ingest.ts';
import { desiredTopics } from '../operator/src/desired/topics.ts';
import { startOperator } from '../operator/src/operator.ts';
import { createKubeWriter } from '../operator/src/runtime/kube-writer.ts';

const { values } = parseArgs({
  options: {
    pipelines: { type: 'string', default: '200' },
    idle: { type: 'string', default: '300' },
    workers: { type: 'string', default: '32' },
    resync: { type: 'string', default: '60' },
  },
});
const PIPELINES = Number(values.pipelines);
const IDLE_SECONDS = Number(values.idle);
const WORKERS = Number(values.workers);
const RESYNC_SECONDS = Number(values.resync);
const resource = { group: API_GROUP, version: API_VERSION, plural: PLURAL };
const images = { ingest: 'ingest:bench', consumer: 'consumer:bench', archiver: 'archiver:bench' };
const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);

function specFor(brokers: string[]) {
  return {
    kafka: { bootstrapServers: brokers, topic: { partitions: 3 } },
    ingest: { replicas: 1, apiKeysSecretRef: { name: 'keys' } },
    dedup: {
      redis: { urlSecretRef: { name: 'redis', key: 'url' } },
      consumers: { minReplicas: 1, maxReplicas: 3 },
    },
    storage: { postgres: { urlSecretRef: { name: 'pg', key: 'url' } } },
    archive: { volume: { claimName: 'archive' } },
  };
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(500);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A kwok node large enough for the benchmark's pods (the stack's own node holds 110). */
function benchNode(name: string) {
  const resources = { cpu: '2000', memory: '8Ti', pods: '2000' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', type: 'kwok' },
    },
    spec: {},
    status: { allocatable: resources, capacity: resources },
  };
}

/** At most 50 at once: a thousand concurrent applies make the API server drop the connection. */
async function inBatches<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (next < items.length) {
        const item = items[next++];
        if (item !== undefined) await work(item);
      }
    }),
  );
}

async function withRetries<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= 5) throw error;
      await sleep(200 * attempt);
    }
  }
}

async function createNamespace(core: k8s.CoreV1Api, name: string) {
  await core.createNamespace({ body: { metadata: { name } } });
  await waitFor(
    `${name}'s default ServiceAccount`,
    async () => {
      await core.readNamespacedServiceAccount({ name: 'default', namespace: name });
      return true;
    },
    60_000,
  );
}

async function allDeploymentsReady(apps: k8s.AppsV1Api, namespace: string, expected: number) {
  const list = await apps.listNamespacedDeployment({ namespace });
  const ready = list.items.filter(
    (d) =>
      (d.status?.readyReplicas ?? 0) >= 1 &&
      (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0),
  ).length;
  return ready >= expected;
}

const stateDir = await mkdtemp(path.join(tmpdir(), 'ep-bench-operator-'));
log(`starting a private stack in ${stateDir}`);
const { env } = await up(['kubernetes', 'kafka'], { stateDir });
try {
  const brokers = (env.KAFKA_BROKERS ?? '').split(',');
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(env.KUBECONFIG ?? '');
  // The default client-side rate is unlimited in client-node; the API server's own limits apply.
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const writer = createKubeWriter(kc);
  await writer.apply(benchNode('kwok-bench-0'));
  await writer.apply(buildCrd());
  const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
  await waitFor(
    'the CRD',
    async () =>
      (await ext.readCustomResourceDefinition({ name: CRD_NAME })).status?.conditions?.some(
        (c) => c.type === 'Established' && c.status === 'True',
      ) === true,
    60_000,
  );

  // ---- the operator ----
  const namespace = 'bench-operator';
  await createNamespace(core, namespace);
  let writes = 0;
  const byKind = new Map<string, number>();
  const metrics = createMetrics();
  const operator = await startOperator({
    kubeConfig: kc,
    logger: createLogger({ name: 'bench-operator', level: 'error', destination: process.stderr }),
    metrics,
    desired: { images },
    namespace,
    workers: WORKERS,
    resyncMs: RESYNC_SECONDS * 1000,
    onWrite: (verb, kind) => {
      writes += 1;
      const key = `${verb} ${kind}`;
      byKind.set(key, (byKind.get(key) ?? 0) + 1);
    },
  });
  const reconcileCount = async () => {
    const metric = await metrics.registry
      .getSingleMetric('eventpipeline_operator_reconciles_total')
      ?.get();
    return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
  };

  log(`creating ${PIPELINES} EventPipelines at once`);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: PIPELINES }, (_, i) =>
      custom.createNamespacedCustomObject({
        ...resource,
        namespace,
        body: {
          apiVersion: `${API_GROUP}/${API_VERSION}`,
          kind: KIND,
          metadata: { name: `p${String(i).padStart(4, '0')}` },
          spec: specFor(brokers),
        },
      }),
    ),
  );
  const createdMs = performance.now() - started;
  let readyCount = 0;
  let topicsReadyMs: number | undefined;
  await waitFor(
    'every pipeline Ready',
    async () => {
      const list = (await custom.listNamespacedCustomObject({ ...resource, namespace })) as {
        items: EventPipelineObject[];
      };
      const topicsReady = list.items.filter(
        (o) => o.status?.conditions?.find((c) => c.type === 'TopicReady')?.status === 'True',
      ).length;
      if (topicsReady === PIPELINES) topicsReadyMs ??= performance.now() - started;
      readyCount = list.items.filter((o) => {
        const ready = o.status?.conditions?.find((c) => c.type === 'Ready');
        return ready?.status === 'True' && o.status?.observedGeneration === o.metadata?.generation;
      }).length;
      return readyCount === PIPELINES;
    },
    600_000,
  );
  const readyMs = performance.now() - started;
  const writesAtReady = writes;
  log(`all ${PIPELINES} Ready after ${(readyMs / 1000).toFixed(1)} s with ${writesAtReady} writes`);
  await sleep(10_000);
  const writesSettled = writes;
  const kindsSettled = Object.fromEntries([...byKind.entries()].sort());

  log(`idle for ${IDLE_SECONDS} s (resync every ${RESYNC_SECONDS} s)`);
  const reconcilesBeforeIdle = await reconcileCount();
  const writesBeforeIdle = writes;
  const kindsBeforeIdle = new Map(byKind);
  await sleep(IDLE_SECONDS * 1000);
  const idleWrites = writes - writesBeforeIdle;
  const idleKinds = Object.fromEntries(
    [...byKind.entries()]
      .map(([kind, count]) => [kind, count - (kindsBeforeIdle.get(kind) ?? 0)] as const)
      .filter(([, count]) => count > 0)
      .sort(),
  );
  const idleReconciles = (await reconcileCount()) - reconcilesBeforeIdle;
  await operator.stop();
  await writeResults('operator.partial', {
    pipelines: PIPELINES,
    readyMs,
    writesAtReady,
    writesSettled,
    idleWrites,
    idleReconciles,
    kindsSettled,
  });

  // ---- baseline: the same objects created directly, no operator ----
  const direct = 'bench-direct';
  await createNamespace(core, direct);
  const admin = createKafkaClient({
    brokers,
    clientId: 'bench-baseline',
    logger: createLogger({ name: 'bench', level: 'error', destination: process.stderr }),
  }).admin();
  await admin.connect();
  log('baseline: creating the same children and topics directly');
  const baselineStarted = performance.now();
  const pipelines = Array.from({ length: PIPELINES }, (_, i) => {
    const parsed = parsePipeline({
      apiVersion: `${API_GROUP}/${API_VERSION}`,
      kind: KIND,
      // Topic names differ from the operator phase's (namespace is part of the default name).
      metadata: { name: `p${String(i).padStart(4, '0')}`, namespace: direct, uid: `baseline-${i}` },
      spec: specFor(brokers),
    });
    if (!parsed.ok) throw new Error(parsed.message);
    return parsed.pipeline;
  });
  await admin.createTopics({
    waitForLeaders: false,
    topics: pipelines.flatMap((p) =>
      desiredTopics(p).map((t) => ({
        topic: t.name,
        numPartitions: t.partitions,
        replicationFactor: t.replicationFactor,
        configEntries: Object.entries(t.config).map(([name, value]) => ({ name, value })),
      })),
    ),
  });
  await inBatches(pipelines, async (p) => {
    const children: k8s.KubernetesObject[] = [
      desiredIngestDeployment(p, { images }),
      desiredIngestService(p),
      desiredConsumerDeployment(p, { images }),
      desiredConsumerHpa(p),
      desiredArchiveCronJob(p, { images }),
    ];
    for (const child of children) {
      if (child.metadata !== undefined) delete child.metadata.ownerReferences;
      await withRetries(() => writer.apply(child));
    }
  });
  await waitFor(
    'the baseline Deployments ready',
    () => allDeploymentsReady(apps, direct, PIPELINES * 2),
    600_000,
  );
  const baselineMs = performance.now() - baselineStarted;
  await admin.disconnect();

  const result = {
    pipelines: PIPELINES,
    workers: WORKERS,
    resyncSeconds: RESYNC_SECONDS,
    idleSeconds: IDLE_SECONDS,
    createRequestsMs: Math.round(createdMs),
    allTopicsReadyMs: Math.round(topicsReadyMs ?? readyMs),
    allReadyMs: Math.round(readyMs),
    writesAtAllReady: writesAtReady,
    writesPerPipelineAtAllReady: Number((writesAtReady / PIPELINES).toFixed(2)),
    writesAfterSettling: writesSettled,
    writesPerPipeline: Number((writesSettled / PIPELINES).toFixed(2)),
    writesByKind: kindsSettled,
    idleWrites,
    idleWritesByKind: idleKinds,
    idleReconciles,
    baselineDirectMs: Math.round(baselineMs),
    readyVsBaselineRatio: Number((readyMs / baselineMs).toFixed(2)),
    targets: { allReadyMs: 60_000, idleWrites: 0 },
  };
  const rows: [string, string][] = [
    ['pipelines created at once', String(PIPELINES)],
    ['create requests done (s)', (createdMs / 1000).toFixed(1)],
    ['all TopicReady (operator + Kafka side) (s)', ((topicsReadyMs ?? readyMs) / 1000).toFixed(1)],
    ['all Ready (s)  [target ≤ 60]', (readyMs / 1000).toFixed(1)],
    ['API writes per pipeline (at all Ready)', result.writesPerPipelineAtAllReady.toFixed(2)],
    ['API writes per pipeline (+10 s settle)', result.writesPerPipeline.toFixed(2)],
    [`API writes while idle ${IDLE_SECONDS} s  [target 0]`, String(idleWrites)],
    ['reconciles while idle (resyncs)', String(idleReconciles)],
    ['baseline: direct creates until ready (s)', (baselineMs / 1000).toFixed(1)],
    ['operator / baseline', result.readyVsBaselineRatio.toFixed(2)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(`\n${'metric'.padEnd(width)}  value`);
  console.log(`${'-'.repeat(width)}  -----`);
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
  console.log('\nwrites by verb and kind:', JSON.stringify(kindsSettled));
  console.log('writes while idle by verb and kind:', JSON.stringify(idleKinds));
  log(`wrote ${await writeResults('operator', result)}`);
} finally {
  await down({ stateDir });
}
