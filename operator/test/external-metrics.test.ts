import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import type { Admin } from 'kafkajs';
import { createKafkaClient, createLogger } from '@event-pipeline/platform';
import { eventually, kubeConfig } from '../../test/support/kubernetes.ts';
import { setting, uniqueName } from '../../test/support/stack.ts';
import { startMetricsApi } from '../src/metrics-api/metrics-server.ts';
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

interface Reply {
  status: number;
  body: unknown;
}

function get(
  port: number,
  urlPath: string,
  tls: { ca: string; cert?: string; key?: string },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path: urlPath, ...tls }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, all made by openssl. */
async function certificates(dir: string) {
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
    '/CN=test-ca',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
  );
  for (const [name, ext] of [
    ['server', 'subjectAltName=IP:127.0.0.1'],
    ['client', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    await ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
    );
    await run('bash', ['-c', `echo '${ext}' > ${name}.ext`], { cwd: dir });
    await ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`,
    );
  }
  const read = (file: string) => readFile(path.join(dir, file), 'utf8');
  return {
    ca: await read('ca.crt'),
    server: { cert: await read('server.crt'), key: await read('server.key') },
    client: { cert: await read('client.crt'), key: await read('client.key') },
  };
}

describe('external.metrics.k8s.io served by the operator over TLS (real Kafka lag)', () => {
  let kc: k8s.KubeConfig;
  let admin: Admin;
  let brokers: string[];
  let running: RunningOperator;
  let certs: Awaited<ReturnType<typeof certificates>>;
  let port: number;
  const namespace = uniqueName('ep-metrics');
  const logger = createLogger({ name: 'metrics-test', level: 'warn' });

  before(async () => {
    kc = await kubeConfig();
    brokers = (await setting('KAFKA_BROKERS')).split(',');
    certs = await certificates(await mkdtemp(path.join(tmpdir(), 'ep-metrics-certs-')));
    admin = createKafkaClient({ brokers, clientId: 'metrics-test', logger }).admin();
    await admin.connect();
    await installCrd(kc);
    await createNamespace(kc, namespace);
    running = await runOperator(kc, namespace, {
      metricsApi: { port: 0, host: '127.0.0.1', tls: certs.server },
    });
    port = running.operator.metricsApiPort ?? 0;
  });
  after(async () => {
    await running.operator.stop();
    await admin.disconnect();
    await deleteNamespace(kc, namespace);
  });

  it('answers discovery', async () => {
    const reply = await get(port, '/apis/external.metrics.k8s.io/v1beta1', { ca: certs.ca });
    assert.equal(reply.status, 200);
    assert.deepEqual(
      (reply.body as { resources: { name: string }[] }).resources.map((r) => r.name),
      ['eventpipeline_consumer_lag'],
    );
  });

  it('reports lag = high watermark − committed, counting uncommitted partitions from the log start', async () => {
    await kc.makeApiClient(k8s.CustomObjectsApi).createNamespacedCustomObject({
      ...pipelineResource,
      namespace,
      body: pipelineBody('lagged', sampleSpec(brokers)),
    });
    await eventually('TopicReady', async () => {
      const p = await readPipeline(kc, namespace, 'lagged');
      return condition(p, 'TopicReady')?.status === 'True' ? p : undefined;
    });
    const topic = `${namespace}.lagged`;
    const producer = createKafkaClient({
      brokers,
      clientId: 'metrics-test-producer',
      logger,
    }).producer();
    await producer.connect();
    const messages = (n: number) => Array.from({ length: n }, (_, i) => ({ value: `m${i}` }));
    await producer.send({ topic, messages: messages(10).map((m) => ({ ...m, partition: 0 })) });
    await producer.send({ topic, messages: messages(5).map((m) => ({ ...m, partition: 1 })) });
    await producer.disconnect();
    // The group committed offset 4 on partition 0 and nothing on partitions 1 and 2.
    await admin.setOffsets({
      groupId: `${topic}.dedup`,
      topic,
      partitions: [{ partition: 0, offset: '4' }],
    });

    const url = `/apis/external.metrics.k8s.io/v1beta1/namespaces/${namespace}/eventpipeline_consumer_lag?labelSelector=${encodeURIComponent('pipeline=lagged')}`;
    const reply = await get(port, url, { ca: certs.ca });
    assert.equal(reply.status, 200);
    const body = reply.body as {
      kind: string;
      items: { metricName: string; metricLabels: Record<string, string>; value: string }[];
    };
    assert.equal(body.kind, 'ExternalMetricValueList');
    assert.equal(body.items.length, 1);
    assert.deepEqual(body.items[0]?.metricLabels, { pipeline: 'lagged' });
    assert.equal(body.items[0].value, String(10 - 4 + 5 + 0));
  });

  it('answers 404 for an unknown pipeline and 400 for a selector it cannot evaluate', async () => {
    const base = `/apis/external.metrics.k8s.io/v1beta1/namespaces/${namespace}/eventpipeline_consumer_lag`;
    assert.equal(
      (await get(port, `${base}?labelSelector=pipeline%3Dnone`, { ca: certs.ca })).status,
      404,
    );
    assert.equal(
      (await get(port, `${base}?labelSelector=pipeline%20in%20(a)`, { ca: certs.ca })).status,
      400,
    );
  });

  it('speaks TLS only', async () => {
    await assert.rejects(
      new Promise((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path: '/apis' }, resolve);
        req.on('error', reject);
        req.end();
      }),
    );
  });

  it('with a client CA, serves only clients presenting a certificate it signed (the aggregator)', async () => {
    const server = await startMetricsApi({
      port: 0,
      host: '127.0.0.1',
      tls: certs.server,
      clientCa: certs.ca,
      metrics: ['eventpipeline_consumer_lag'],
      source: () => Promise.resolve([]),
      logger,
    });
    try {
      await assert.rejects(get(server.port, '/apis', { ca: certs.ca }));
      const reply = await get(server.port, '/apis', { ca: certs.ca, ...certs.client });
      assert.equal(reply.status, 200);
    } finally {
      await server.close();
    }
  });
});
