import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import type { Component, ComponentContext } from '../component.ts';
import { StackError } from '../errors.ts';
import { LOOPBACK, claimPort } from '../ports.ts';
import { randomPassword } from '../secrets.ts';
import { waitUntil } from '../wait.ts';

const NAME = 'pipeline';
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

/** The demo pipeline `make up` runs: one topic (+ dead letters), ingest and one dedup consumer. */
export const localPipeline = { name: 'local', topic: 'events.local', partitions: 3 } as const;

function required(env: Record<string, string>, name: string): string {
  const value = env[name];
  if (value === undefined) throw new StackError(NAME, `needs ${name}`, 'start its component too');
  return value;
}

async function ensureTopics(brokers: string): Promise<void> {
  const admin = new Kafka({
    clientId: 'stack-pipeline',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const topics = [localPipeline.topic, `${localPipeline.topic}.dlq`].filter(
      (t) => !existing.has(t),
    );
    if (topics.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: topics.map((topic) => ({ topic, numPartitions: localPipeline.partitions })),
      });
    }
  } finally {
    await admin.disconnect();
  }
}

async function startService(
  ctx: ComponentContext,
  service: string,
  entry: string,
  extraEnv: Record<string, string>,
): Promise<string> {
  const port = await claimPort(NAME, ctx.fixedPort(service));
  const record = await ctx.spawn({
    name: service,
    command: process.execPath,
    args: [path.join(repoRoot, entry)],
    cwd: repoRoot,
    extraEnv: { ...extraEnv, PORT: String(port), LOG_LEVEL: 'info' },
    stopSignal: 'SIGTERM',
  });
  const url = `http://${LOOPBACK}:${port}`;
  await waitUntil(
    async () => {
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(3000) });
      if (!res.ok) throw new Error(`/readyz answered ${res.status}`);
    },
    {
      component: NAME,
      what: `${service} /readyz`,
      timeoutMs: 60_000,
      process: record,
      signal: ctx.signal,
    },
  );
  return url;
}

export function createPipeline(): Component {
  return {
    name: NAME,
    summary: `a local pipeline "${localPipeline.name}": ingest and a dedup consumer from this repository`,
    dependsOn: ['postgres', 'redis', 'kafka'],
    debianPackages: () => [],
    prepare: async () => {
      // runs from the repository's sources
    },
    start: async (ctx) => {
      const env = ctx.readyEnv();
      const brokers = required(env, 'KAFKA_BROKERS');
      await ensureTopics(brokers);
      const apiKey = `dev-${randomPassword()}`;
      const keysFile = path.join(ctx.dir, 'api-keys');
      await writeFile(keysFile, `# make up's development key\n${apiKey}\n`, { mode: 0o600 });
      const common = {
        KAFKA_BROKERS: brokers,
        KAFKA_TOPIC: localPipeline.topic,
        PIPELINE_NAME: localPipeline.name,
        REDIS_URL: required(env, 'REDIS_URL'),
      };
      const ingest = await startService(ctx, 'ingest', 'services/ingest/src/main.ts', {
        ...common,
        API_KEYS_FILE: keysFile,
        HOST: LOOPBACK,
      });
      const consumer = await startService(
        ctx,
        'dedup-consumer',
        'services/dedup-consumer/src/main.ts',
        {
          ...common,
          DATABASE_URL: required(env, 'DATABASE_URL'),
          KAFKA_GROUP_ID: `${localPipeline.name}-dedup`,
        },
      );
      return {
        env: { INGEST_URL: ingest, INGEST_API_KEY: apiKey, PIPELINE_TOPIC: localPipeline.topic },
        endpoints: {
          ingest,
          'ingest API key': apiKey,
          'dedup-consumer metrics': `${consumer}/metrics`,
          topic: localPipeline.topic,
        },
      };
    },
  };
}
