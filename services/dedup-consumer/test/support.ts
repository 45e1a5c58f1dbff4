import { randomUUID } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import pg from 'pg';
import {
  createKafkaClient,
  createLogger,
  deadLetterTopic,
  enrichEvent,
  encodeEventMessage,
} from '@event-pipeline/platform';
import type { ClientEvent, EventMessage, StoredEvent } from '@event-pipeline/platform';

/** A pipeline's topic and its dead-letter topic, as the operator creates them. */
export async function createPipelineTopic(admin: Admin, topic: string, partitions = 4) {
  await admin.createTopics({
    topics: [
      { topic, numPartitions: partitions },
      { topic: deadLetterTopic(topic), numPartitions: 1 },
    ],
    waitForLeaders: true,
  });
}

/** A kafkajs client and connected admin, and the test's topic (4 partitions) with its DLQ. */
export async function createTopicOn(
  brokers: string,
  clientId: string,
  topic: string,
): Promise<{ kafka: Kafka; admin: Admin }> {
  const logger = createLogger({ name: clientId, level: 'silent' });
  const kafka = createKafkaClient({ clientId, brokers: [brokers], logger });
  const admin = kafka.admin();
  await admin.connect();
  await createPipelineTopic(admin, topic);
  return { kafka, admin };
}

/**
 * A database of its own on the given server (tests share one PostgreSQL), in the server's default
 * locale or the one given. Returns its URL.
 */
export async function createDatabaseOn(
  serverUrl: string,
  name: string,
  locale?: string,
): Promise<string> {
  const dbName = name.replaceAll(/[^a-z0-9_]/g, '_');
  const client = new pg.Client({ connectionString: serverUrl });
  // Fault tests stop PostgreSQL under these clients; a failed call rejects, nothing may throw.
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(
      locale === undefined
        ? `CREATE DATABASE ${dbName}`
        : `CREATE DATABASE ${dbName} TEMPLATE template0 LOCALE ${pg.escapeLiteral(locale)}`,
    );
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${dbName}`;
  return url.toString();
}

export async function query<R extends pg.QueryResultRow>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** A stored event the way ingest makes it (enrichEvent), received now. */
export function storedEvent(
  pipeline: string,
  event: ClientEvent,
  receivedAt = new Date(),
): StoredEvent {
  return enrichEvent(event, {
    receivedAt: receivedAt.toISOString(),
    pipeline,
    ingestionId: randomUUID(),
  });
}

/** A client event; with `withId` false its dedup key is the content hash. */
export function clientEvent(i: number, withId: boolean): ClientEvent {
  return {
    ...(withId ? { id: `evt-${i}` } : {}),
    type: i % 3 === 0 ? 'page_view' : 'click',
    userId: `user-${i % 50}`,
    timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, i)).toISOString(),
    sentAt: new Date().toISOString(),
    properties: { i, path: `/p/${i}`, nested: { ok: true } },
    context: { lib: 'test' },
  };
}

/**
 * Kafka messages for `count` distinct events with `dupRatio` of them resent, as clients with
 * retries do: a resend is the same event received again later (a new receivedAt and ingestionId,
 * and for half of them a different sentAt), so it has the same dedup key. Shuffled a little.
 */
export function duplicateStorm(
  pipeline: string,
  count: number,
  dupRatio: number,
  offset = 0,
): { messages: EventMessage[]; keys: Set<string> } {
  const messages: EventMessage[] = [];
  const keys = new Set<string>();
  for (let i = offset; i < offset + count; i += 1) {
    const original = clientEvent(i, i % 2 === 0);
    const first = storedEvent(pipeline, original);
    keys.add(first.dedupKey);
    messages.push(encodeEventMessage(first));
    if ((i * 7919) % 100 < dupRatio * 100) {
      const resent =
        i % 4 < 2 ? { ...original, sentAt: new Date(Date.now() + 1000).toISOString() } : original;
      messages.push(encodeEventMessage(storedEvent(pipeline, resent)));
    }
  }
  return { messages, keys };
}

/** Deterministic Fisher–Yates shuffle (resends arrive out of order, across batches). */
export function shuffled<T>(items: readonly T[], seed = 42): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i -= 1) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Rows per dedup key of one pipeline: total rows and distinct keys. */
export async function storedCounts(
  url: string,
  pipeline: string,
): Promise<{ rows: number; keys: number }> {
  const [row] = await query<{ rows: string; keys: string }>(
    url,
    'SELECT count(*) AS rows, count(DISTINCT dedup_key) AS keys FROM events WHERE pipeline = $1',
    [pipeline],
  );
  return { rows: Number(row?.rows ?? 0), keys: Number(row?.keys ?? 0) };
}

export async function storedKeys(url: string, pipeline: string): Promise<Set<string>> {
  const rows = await query<{ dedup_key: string }>(
    url,
    'SELECT dedup_key FROM events WHERE pipeline = $1',
    [pipeline],
  );
  return new Set(rows.map((row) => row.dedup_key));
}

/** Asserts-friendly summary: which expected keys are missing and whether any row is doubled. */
export async function exactlyOnceReport(
  url: string,
  pipeline: string,
  expected: ReadonlySet<string>,
): Promise<{ rows: number; keys: number; missing: number; unexpected: number }> {
  const counts = await storedCounts(url, pipeline);
  const keys = await storedKeys(url, pipeline);
  let missing = 0;
  for (const key of expected) if (!keys.has(key)) missing += 1;
  let unexpected = 0;
  for (const key of keys) if (!expected.has(key)) unexpected += 1;
  return { ...counts, missing, unexpected };
}
