import type { Admin } from 'kafkajs';
import type { Logger } from 'pino';
import { createKafkaClient } from '@event-pipeline/platform';

export interface AdminPool {
  /** A connected admin client for this broker list (shared between pipelines on one cluster). */
  get(brokers: readonly string[]): Promise<Admin>;
  /** Drops a client after an error so the next use reconnects. */
  discard(brokers: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

export interface AdminPoolOptions {
  readonly logger: Logger;
  readonly clientId?: string;
  /** Fail fast when Kafka is down: the work queue's backoff does the retrying. */
  readonly connectionTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
}

export function createAdminPool({
  logger,
  clientId = 'event-pipeline-operator',
  connectionTimeoutMs = 3_000,
  requestTimeoutMs = 15_000,
}: AdminPoolOptions): AdminPool {
  const admins = new Map<string, Promise<Admin>>();
  const keyOf = (brokers: readonly string[]) => [...brokers].sort().join(',');
  const discard = async (brokers: readonly string[]) => {
    const key = keyOf(brokers);
    const admin = admins.get(key);
    admins.delete(key);
    if (admin !== undefined) await admin.then((a) => a.disconnect()).catch(() => undefined);
  };
  return {
    get: (brokers) => {
      const key = keyOf(brokers);
      let admin = admins.get(key);
      if (admin === undefined) {
        const client = createKafkaClient({
          brokers,
          clientId,
          logger,
          config: {
            connectionTimeout: connectionTimeoutMs,
            requestTimeout: requestTimeoutMs,
            retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 2_000 },
          },
        });
        const created = client.admin();
        admin = created.connect().then(() => created);
        admin.catch(() => admins.delete(key));
        admins.set(key, admin);
      }
      return admin;
    },
    discard,
    close: async () => {
      const all = [...admins.values()];
      admins.clear();
      await Promise.allSettled(all.map(async (a) => (await a).disconnect()));
    },
  };
}
