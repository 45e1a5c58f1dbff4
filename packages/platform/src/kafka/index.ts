export { createKafkaClient } from './client.ts';
export type { KafkaClientOptions } from './client.ts';
export {
  DEAD_LETTER_HEADERS,
  EVENT_HEADERS,
  deadLetterTopic,
  decodeEventMessage,
  encodeEventMessage,
  headerText,
  messageKey,
} from './event-message.ts';
export type { DeadLetterReason, DecodedEventMessage, EventMessage } from './event-message.ts';
export {
  type EventCompression,
  type EventProducer,
  type EventProducerOptions,
  DEFAULT_COMPRESS_MIN_BYTES,
  EVENT_COMPRESSIONS,
  ProducerOverloadedError,
  ProducerUnavailableError,
  createEventProducer,
} from './producer.ts';
export { keyHashPartitioner } from './partitioner.ts';
export { createLanedProducer, laneOf, splitByLane } from './producer-lanes.ts';
export type { LanedProducerOptions } from './producer-lanes.ts';
export * from './consumer-lag.ts';
