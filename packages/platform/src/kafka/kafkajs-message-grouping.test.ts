import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { PartitionMetadata } from 'kafkajs';
import {
  type GroupArgs,
  groupMessagesPerPartition,
  kafkaClientWithLinearGrouping,
} from './kafkajs-message-grouping.ts';

const require = createRequire(import.meta.url);
const GROUP = 'kafkajs/src/producer/groupMessagesPerPartition.js';
// kafkajs's own grouping, loaded before anything in this process installs ours.
const kafkajsGroup = require(GROUP) as <M>(args: GroupArgs<M>) => Record<string, M[]>;

const metadata = (count: number): PartitionMetadata[] =>
  Array.from({ length: count }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
    partitionErrorCode: 0,
    offlineReplicas: [],
  }));

describe('grouping a send’s messages by partition', () => {
  it('gives the groups kafkajs’s reduce gives, in the same order, for any messages and partitioner', () => {
    assert.notEqual(kafkajsGroup, groupMessagesPerPartition, 'the oracle is kafkajs’s own');
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 6 }),
        fc.array(fc.record({ key: fc.string({ maxLength: 4 }), n: fc.nat() }), { maxLength: 300 }),
        fc.func(fc.nat({ max: 5 })),
        (partitions, messages, choose) => {
          const args = {
            topic: 'events',
            partitionMetadata: metadata(partitions),
            messages,
            partitioner: ({ message }: { message: { key: string; n: number } }) =>
              choose(message.key, message.n) % Math.max(partitions, 1),
          };
          assert.deepEqual(groupMessagesPerPartition(args), kafkajsGroup(args));
        },
      ),
    );
  });

  it('asks the partitioner once per message, in send order', () => {
    const seen: number[] = [];
    groupMessagesPerPartition({
      topic: 't',
      partitionMetadata: metadata(2),
      messages: [3, 1, 2],
      partitioner: ({ message }) => {
        seen.push(message);
        return message % 2;
      },
    });
    assert.deepEqual(seen, [3, 1, 2]);
  });

  it('is what the client class it returns produces with, and kafkajs’s own class is left alone', () => {
    const kafkajsClient = (require('kafkajs') as { Kafka: unknown }).Kafka;
    const { patch, Client } = kafkaClientWithLinearGrouping();
    assert.deepEqual(patch, { installed: true });
    assert.equal(kafkaClientWithLinearGrouping().Client, Client, 'a second call changes nothing');
    assert.equal(require(GROUP), groupMessagesPerPartition, 'the module cache holds ours');
    assert.notEqual(Client, kafkajsClient, 'the client class was loaded again, with ours');
    assert.equal((require('kafkajs') as { Kafka: unknown }).Kafka, kafkajsClient);
    const client = new Client({ brokers: ['127.0.0.1:9'], clientId: 'grouping-test' });
    assert.equal(typeof client.producer().send, 'function');
  });
});
