import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { createKafkaClient, createLogger, createMetrics } from '@event-pipeline/platform';
import type { Metrics } from '@event-pipeline/platform';
import { createApiKeys } from '../src/api-keys.ts';
import { DEFAULT_LIMITS } from '../src/config.ts';
import type { Limits } from '../src/config.ts';
import { createConnections } from '../src/dependencies.ts';
import type { Connections } from '../src/dependencies.ts';
import type { RedisDownMode } from '../src/rate-limiter.ts';
import { startIngest } from '../src/server.ts';
import type { IngestServer } from '../src/server.ts';

export const API_KEY = 'test-key-0123456789';

export interface IngestUnderTest extends Connections {
  readonly url: string;
  readonly topic: string;
  readonly server: IngestServer;
  readonly metrics: Metrics;
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly brokers: string;
  readonly redisUrl: string;
  readonly topic: string;
  readonly pipeline?: string;
  readonly redisKeyPrefix: string;
  readonly limits?: Partial<Limits>;
  readonly rate?: number;
  readonly burst?: number;
  readonly whenRedisDown?: RedisDownMode;
  readonly rateLimitBy?: 'apiKey' | 'ip';
  readonly sendTimeoutMs?: number;
  readonly maxBufferedMessages?: number;
  /** Worker threads for batches (1 unless said: what ingest runs with on two or more CPUs). */
  readonly prepareThreads?: number;
}

/** A real ingest on port 0 over real Kafka and Redis, as main.ts wires it. */
export async function startIngestUnderTest(options: StartOptions): Promise<IngestUnderTest> {
  const logger = createLogger({ name: 'ingest-test', level: 'silent' });
  const metrics = createMetrics({ pipeline: options.pipeline ?? 'test' });
  const connections = createConnections({
    brokers: [options.brokers],
    topic: options.topic,
    clientId: 'ingest-test',
    redisUrl: options.redisUrl,
    redisKeyPrefix: options.redisKeyPrefix,
    logger,
    metrics,
    rate: options.rate ?? 100_000,
    burst: options.burst ?? 100_000,
    whenRedisDown: options.whenRedisDown ?? 'open',
    idempotencyTtlMs: 24 * 3600_000,
    sendTimeoutMs: options.sendTimeoutMs ?? 10_000,
    ...(options.maxBufferedMessages === undefined
      ? {}
      : { maxBufferedMessages: options.maxBufferedMessages }),
  });
  await connections.producer.connect();
  const server = await startIngest(
    {
      ...connections,
      auth: createApiKeys([API_KEY, 'second-key-abcdef']),
      logger,
      metrics,
      config: {
        pipeline: options.pipeline ?? 'test',
        limits: { ...DEFAULT_LIMITS, ...options.limits },
        rateLimitBy: options.rateLimitBy ?? 'apiKey',
        trustProxy: false,
        prepareThreads: options.prepareThreads ?? 1,
      },
    },
    { port: 0, host: '127.0.0.1', shutdownTimeoutMs: 15_000 },
  );
  return {
    ...connections,
    url: `http://127.0.0.1:${server.port}`,
    topic: options.topic,
    server,
    metrics,
    stop: async () => {
      await server.stop('test finished');
      connections.redis.disconnect();
    },
  };
}

export function kafkaClient(brokers: string): Kafka {
  const logger = createLogger({ name: 'ingest-test-admin', level: 'silent' });
  return createKafkaClient({ clientId: 'ingest-test-admin', brokers: [brokers], logger });
}

export async function createTopic(brokers: string, topic: string, partitions = 3): Promise<void> {
  const admin = kafkaClient(brokers).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions }],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

/** Every message of the topic, read back from the beginning (high watermarks tell when done). */
export async function readTopic(
  brokers: string,
  topic: string,
  timeoutMs = 60_000,
): Promise<(KafkaMessage & { partition: number })[]> {
  const kafka = kafkaClient(brokers);
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const remaining = new Map(offsets.map((o) => [o.partition, Number(o.high) - Number(o.low)]));
  const total = [...remaining.values()].reduce((a, b) => a + b, 0);
  const messages: (KafkaMessage & { partition: number })[] = [];
  if (total === 0) return messages;
  const consumer = kafka.consumer({
    groupId: `reader-${topic}-${Math.random().toString(36).slice(2)}`,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`read ${messages.length} of ${total} messages of ${topic}`));
      }, timeoutMs);
      consumer
        .run({
          eachMessage: ({ message, partition }) => {
            messages.push({ ...message, partition });
            if (messages.length >= total) {
              clearTimeout(timer);
              resolve();
            }
            return Promise.resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

export interface Sent {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

export async function post(
  url: string,
  body: string | Uint8Array,
  headers: Record<string, string> = {},
): Promise<Sent> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}`, ...headers },
    body,
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // non-JSON bodies are asserted on as text
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

export interface IngestProcess {
  readonly url: string;
  /** SIGTERM, then the exit code (0 after a clean graceful shutdown). */
  stop(): Promise<number | null>;
}

/** `node services/ingest/src/main.ts` as its own process, configured only through env. */
export async function spawnIngest(env: Record<string, string>): Promise<IngestProcess> {
  const child = spawn(process.execPath, [path.resolve(import.meta.dirname, '../src/main.ts')], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error('ingest did not start within 60 s'));
    }, 60_000);
    void exited.then((code) => {
      reject(new Error(`ingest exited with ${code}`));
    });
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const match = line.includes('"msg":"ingest listening"') ? /"port":(\d+)/.exec(line) : null;
        if (match?.[1] !== undefined) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      }
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
