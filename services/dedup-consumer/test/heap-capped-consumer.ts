// A dedup consumer in a worker thread whose heap is capped by its parent (Worker resourceLimits),
// the way a pod's memory limit caps it: memory-bound.test.ts drains a backlog with it.
import { parentPort, workerData } from 'node:worker_threads';
import { createKafkaClient, createLogger, createMetrics } from '@event-pipeline/platform';
import { startConsumer } from '../src/consumer.ts';
import { createDatabase } from '../src/storage/database.ts';

export interface HeapCappedSettings {
  readonly brokers: string;
  readonly databaseUrl: string;
  readonly topic: string;
  readonly groupId: string;
  readonly pipeline: string;
  readonly maxBytesPerPartition: number | undefined;
  readonly maxBytesPerFetch: number | undefined;
}

const settings = workerData as HeapCappedSettings;
const port = parentPort;
if (port === null) throw new Error('heap-capped-consumer.ts runs as a worker thread');
const logger = createLogger({ name: 'heap-capped', level: 'silent' });
const db = createDatabase({ connectionString: settings.databaseUrl, maxConnections: 4 });
const consumer = await startConsumer({
  kafka: createKafkaClient({ clientId: 'heap-capped', brokers: [settings.brokers], logger }),
  db,
  redis: undefined,
  logger,
  metrics: createMetrics({ pipeline: settings.pipeline }),
  topic: settings.topic,
  groupId: settings.groupId,
  pipeline: settings.pipeline,
  windowMs: 86_400_000,
  batchSize: 2_000,
  partitionsConsumedConcurrently: 2,
  maxBytesPerPartition: settings.maxBytesPerPartition,
  maxBytesPerFetch: settings.maxBytesPerFetch,
  port: 0,
  host: '127.0.0.1',
});
port.once('message', () => {
  void (async () => {
    await consumer.stop();
    await db.destroy();
    port.postMessage('stopped');
  })();
});
port.postMessage('started');
