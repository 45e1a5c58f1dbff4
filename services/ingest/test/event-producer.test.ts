import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  EVENT_HEADERS,
  ProducerOverloadedError,
  createEventProducer,
  createKafkaClient,
  createLanedProducer,
  createLogger,
  encodeEventMessage,
  enrichEvent,
  headerText,
  laneOf,
} from '@event-pipeline/platform';
import type { EventProducer } from '@event-pipeline/platform';
import { Partitioners } from 'kafkajs';
import type { PartitionMetadata } from 'kafkajs';
import { setting, uniqueName } from '../../../test/support/stack.ts';
import { createTopic, readTopic } from './harness.ts';

const receipt = { receivedAt: '2026-01-01T00:00:00.000Z', pipeline: 'p', ingestionId: 'i' };
const message = (id: string) =>
  encodeEventMessage(enrichEvent({ type: 't', id, userId: `u-${id.length % 5}` }, receipt));

describe('event producer (kafkajs idempotent, acks=all, micro-batched) on real Kafka', () => {
  let brokers: string;
  let topic: string;
  let producer: EventProducer;
  const batches: number[] = [];

  before(async () => {
    brokers = await setting('KAFKA_BROKERS');
    topic = uniqueName('ingest-producer');
    await createTopic(brokers, topic, 2);
    const logger = createLogger({ name: 'producer-test', level: 'silent' });
    producer = createEventProducer({
      kafka: createKafkaClient({ brokers: [brokers], clientId: 'producer-test', logger }),
      topic,
      logger,
      lingerMs: 5,
      maxBatchMessages: 100,
      maxBufferedMessages: 1_000,
      onBatch: ({ messages, ok }) => {
        if (ok) batches.push(messages);
      },
    });
    await producer.connect();
  });
  after(async () => {
    await producer.disconnect();
  });

  it('coalesces concurrent sends into batches and resolves each only once its messages are in the topic', async () => {
    const ids = Array.from({ length: 300 }, (_, i) => `evt-${i}`);
    await Promise.all(ids.map((id) => producer.send([message(id)])));
    assert.ok(producer.connected());
    assert.ok(batches.length < 300 / 2, `300 sends went out in ${batches.length} batches`);
    assert.ok(
      batches.every((size) => size <= 100),
      'no batch is larger than maxBatchMessages',
    );
    const found = new Set(
      (await readTopic(brokers, topic)).map((m) => headerText(m.headers, EVENT_HEADERS.dedupKey)),
    );
    assert.deepEqual(
      ids.filter((id) => !found.has(id)),
      [],
    );
  });

  for (const compression of ['none', 'gzip', 'zstd'] as const) {
    it(`${compression}: batches the broker accepts and a consumer reads back unchanged`, async () => {
      const logger = createLogger({ name: 'producer-test', level: 'silent' });
      const codecTopic = uniqueName(`ingest-${compression}`);
      await createTopic(brokers, codecTopic, 2);
      const sent = Array.from({ length: 60 }, (_, i) => message(`${compression}-${i}`));
      const compressed = createEventProducer({
        kafka: createKafkaClient({ brokers: [brokers], clientId: 'codec-test', logger }),
        topic: codecTopic,
        logger,
        compression,
        compressMinBytes: 1,
      });
      await compressed.connect();
      try {
        await compressed.send(sent);
      } finally {
        await compressed.disconnect();
      }
      const read = await readTopic(brokers, codecTopic);
      assert.deepEqual(
        read.map((m) => m.value?.toString()).sort(),
        sent.map((m) => m.value.toString()).sort(),
      );
    });
  }

  it('refuses at once when the buffer is full', async () => {
    const many = Array.from({ length: 600 }, (_, i) => message(`full-${i}`));
    const first = producer.send(many);
    await assert.rejects(producer.send(many), ProducerOverloadedError);
    await first;
    assert.equal(producer.buffered(), 0);
  });

  it('splits a send larger than maxBatchBytes over several produce batches and resolves when all are acknowledged', async () => {
    const logger = createLogger({ name: 'producer-test', level: 'silent' });
    const sizes: number[] = [];
    const small = createEventProducer({
      kafka: createKafkaClient({ brokers: [brokers], clientId: 'producer-test-small', logger }),
      topic,
      logger,
      maxBatchBytes: 4096,
      onBatch: ({ messages, ok }) => {
        if (ok) sizes.push(messages);
      },
    });
    await small.connect();
    try {
      const ids = Array.from({ length: 60 }, (_, i) => `split-${i}`);
      await small.send(ids.map(message));
      assert.ok(sizes.length > 1, `went out in ${sizes.length} batches`);
      assert.equal(
        sizes.reduce((a, b) => a + b, 0),
        ids.length,
      );
      const found = new Set(
        (await readTopic(brokers, topic)).map((m) => headerText(m.headers, EVENT_HEADERS.dedupKey)),
      );
      assert.deepEqual(
        ids.filter((id) => !found.has(id)),
        [],
      );
    } finally {
      await small.disconnect();
    }
  });

  it('lanes: several producers in flight, every send acknowledged, each key still in send order', async () => {
    const logger = createLogger({ name: 'producer-test', level: 'silent' });
    const laneTopic = uniqueName('ingest-lanes');
    await createTopic(brokers, laneTopic, 3);
    const lanes = 3;
    const sentPerUser = new Map<string, number>();
    const laned = createLanedProducer({
      lanes,
      kafka: createKafkaClient({ brokers: [brokers], clientId: 'producer-test-lanes', logger }),
      topic: laneTopic,
      logger,
      lingerMs: 1,
      maxBatchMessages: 20,
    });
    await laned.connect();
    const users = Array.from({ length: 8 }, (_, i) => `lane-user-${i}`);
    assert.ok(
      new Set(users.map((user) => laneOf(user, lanes))).size > 1,
      'the test keys spread over more than one lane',
    );
    try {
      // Every send is issued before any is acknowledged, in one order per key.
      const sends = Array.from({ length: 400 }, (_, seq) => {
        const user = users[seq % users.length] ?? '';
        sentPerUser.set(user, (sentPerUser.get(user) ?? 0) + 1);
        return laned.send([
          encodeEventMessage(
            enrichEvent(
              { type: 't', id: `lane-${String(seq).padStart(4, '0')}`, userId: user },
              receipt,
            ),
          ),
        ]);
      });
      await Promise.all(sends);
      assert.ok(laned.connected());
      assert.equal(laned.buffered(), 0);
      const read = await readTopic(brokers, laneTopic);
      assert.equal(read.length, 400, 'every acknowledged event is in the topic, once');
      // Each key in the partition the Java client and kafkajs's DefaultPartitioner pick for it
      // (murmur2), whatever grouped the send's messages by partition on the way.
      const pick = Partitioners.DefaultPartitioner();
      const partitionMetadata = [0, 1, 2].map((partitionId): PartitionMetadata => ({
        partitionId,
        leader: 0,
        partitionErrorCode: 0,
        replicas: [0],
        isr: [0],
      }));
      for (const m of read) {
        const expected = pick({
          topic: laneTopic,
          partitionMetadata,
          message: { key: m.key, value: null },
        });
        assert.equal(m.partition, expected, `the partition of ${m.key?.toString() ?? ''}`);
      }
      assert.ok(new Set(read.map((m) => m.partition)).size > 1, 'the keys spread over partitions');
      const perUser = new Map<string, string[]>();
      for (const m of read) {
        const user = m.key?.toString() ?? '';
        const list = perUser.get(user) ?? [];
        list.push(headerText(m.headers, EVENT_HEADERS.dedupKey) ?? '');
        perUser.set(user, list);
      }
      for (const user of users) {
        const ids = perUser.get(user) ?? [];
        assert.equal(ids.length, sentPerUser.get(user));
        assert.deepEqual(ids, [...ids].sort(), `events of ${user} arrive in the order sent`);
      }
    } finally {
      await laned.disconnect();
    }
  });
});
