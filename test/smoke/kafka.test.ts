import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { kafkaEnvName, kafkaLines, kafkaVersion } from '@event-pipeline/stack';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { eventually } from '../support/kubernetes.ts';
import { setting, uniqueName } from '../support/stack.ts';

for (const line of kafkaLines) {
  describe(`kafkajs against Kafka ${kafkaVersion(line)}`, () => {
    let kafka: Kafka;
    let admin: Admin;

    before(async () => {
      kafka = new Kafka({
        clientId: 'smoke',
        brokers: [await setting(kafkaEnvName(line))],
        logLevel: logLevel.NOTHING,
      });
      admin = kafka.admin();
      await admin.connect();
    });
    after(async () => {
      await admin.disconnect();
    });

    it('creates a topic and grows its partitions (admin createTopics, createPartitions)', async () => {
      const topic = uniqueName('smoke-admin');
      assert.equal(
        await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true }),
        true,
      );
      await admin.createPartitions({ topicPartitions: [{ topic, count: 5 }] });
      // The broker's metadata catches up with a partition change a moment after the call returns.
      await eventually(
        'the topic metadata to show 5 partitions',
        async () => {
          const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
          const count = metadata.topics[0]?.partitions.length;
          return count === 5 ? count : undefined;
        },
        15_000,
      );
      await assert.rejects(
        admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] }),
        /partition/i,
      );
    });

    it('produces with an idempotent acks=all producer and consumes everything in a consumer group', async () => {
      const topic = uniqueName('smoke-pc');
      await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const sent = Array.from({ length: 300 }, (_, i) => ({
        key: `user-${i % 17}`,
        value: `event-${i}`,
      }));
      try {
        await producer.send({ topic, acks: -1, messages: sent });
      } finally {
        await producer.disconnect();
      }

      const groupId = uniqueName('smoke-group');
      const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000 });
      const received = new Set<string>();
      await consumer.connect();
      try {
        await consumer.subscribe({ topic, fromBeginning: true });
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`received ${received.size} of ${sent.length}`)),
            60_000,
          );
          void consumer
            .run({
              eachMessage: ({ message }) => {
                received.add(message.value?.toString() ?? '');
                if (received.size === sent.length) {
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
      assert.deepEqual([...received].sort(), sent.map((m) => m.value).sort());
      // The group committed its position: every partition's committed offsets add up to what was sent.
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const total = (committed?.partitions ?? []).reduce((sum, p) => sum + Number(p.offset), 0);
      assert.equal(total, sent.length);
    });
  });
}
