// kafkajs groups a send's messages by partition with a reduce that copies the partition's array
// and the result object for every message (`[...current, message]`), so a send of n messages costs
// O(n²) copies; under batched load at ingest that was 6–7 % of the CPU (profiled, 2026-12-03,
// coalesced sends of hundreds of messages). Same groups, same order, one push per message.
//
// kafkajs captures the function when its producer modules load, so installing it means reloading
// the modules between it and the client class (sendMessages → messageProducer → producer →
// client); the client class that comes out is the one createKafkaClient constructs. Everything
// else (cluster, consumer, admin, protocol, errors) stays the loaded, shared modules.
import { createRequire } from 'node:module';
import type { Kafka, Message, PartitionMetadata } from 'kafkajs';
import {
  type KafkajsPatch,
  patchKafkajs,
  reloadModules,
  setModuleExports,
} from './kafkajs-patch.ts';

const require = createRequire(import.meta.url);

const PATHS = {
  group: 'kafkajs/src/producer/groupMessagesPerPartition.js',
  // From the module that requires the grouping up to the client class, each captured by the next.
  dependents: [
    'kafkajs/src/producer/sendMessages.js',
    'kafkajs/src/producer/messageProducer.js',
    'kafkajs/src/producer/index.js',
    'kafkajs/src/index.js',
  ],
  client: 'kafkajs/src/index.js',
} as const;

export interface GroupArgs<M> {
  readonly topic: string;
  readonly partitionMetadata: readonly PartitionMetadata[];
  readonly messages: readonly M[];
  readonly partitioner: (args: {
    topic: string;
    partitionMetadata: readonly PartitionMetadata[];
    message: M;
  }) => number;
}

/** The messages by the partition the partitioner picks, each group in send order. */
export function groupMessagesPerPartition<M = Message>({
  topic,
  partitionMetadata,
  messages,
  partitioner,
}: GroupArgs<M>): Record<string, M[]> {
  const groups: Record<string, M[] | undefined> = {};
  if (partitionMetadata.length === 0) return {};
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    const group = groups[partition];
    if (group === undefined) groups[partition] = [message];
    else group.push(message);
  }
  return groups as Record<string, M[]>;
}

type KafkaClass = typeof Kafka;
let installed: { readonly patch: KafkajsPatch; readonly Client: KafkaClass } | undefined;

/**
 * The kafkajs client class whose producers group messages with groupMessagesPerPartition above,
 * when kafkajs is the release this was tested against; otherwise kafkajs's own class, and why.
 */
export function kafkaClientWithLinearGrouping(): {
  readonly patch: KafkajsPatch;
  readonly Client: KafkaClass;
} {
  if (installed !== undefined) return installed;
  let Client = (require('kafkajs') as { Kafka: KafkaClass }).Kafka;
  const patch = patchKafkajs('message grouping', () => {
    // Load the chain first (it is, once kafkajs is imported), so the swap has a module to edit.
    require(PATHS.client);
    setModuleExports(PATHS.group, groupMessagesPerPartition);
    reloadModules(PATHS.dependents);
    Client = require(PATHS.client) as KafkaClass;
  });
  installed = { patch, Client };
  return installed;
}
