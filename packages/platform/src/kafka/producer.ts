import { CompressionTypes } from 'kafkajs';
import type { Kafka, Producer, ProducerConfig } from 'kafkajs';
import type { Logger } from 'pino';
import type { EventMessage } from './event-message.ts';
import { keyHashPartitioner } from './partitioner.ts';

/** The producer as services see it: the one dependency most likely to be swapped one day. */
export interface EventProducer {
  /**
   * Resolves once every message is acknowledged by all in-sync replicas (acks=all); rejects with
   * ProducerOverloadedError at once when the buffer is full, with ProducerUnavailableError when
   * the broker did not acknowledge.
   */
  send(messages: readonly EventMessage[]): Promise<void>;
  connect(): Promise<void>;
  connected(): boolean;
  /** Messages waiting for a batch or for their acknowledgement. */
  buffered(): number;
  /** Flushes what is buffered, then disconnects. */
  disconnect(): Promise<void>;
}

export class ProducerOverloadedError extends Error {
  override readonly name = 'ProducerOverloadedError';
}

export class ProducerUnavailableError extends Error {
  override readonly name = 'ProducerUnavailableError';
}

/** The codecs a producer can use (ingest's KAFKA_COMPRESSION takes these names). */
export const EVENT_COMPRESSIONS = ['none', 'gzip', 'zstd'] as const;
export type EventCompression = (typeof EVENT_COMPRESSIONS)[number];

const CODECS: Record<EventCompression, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  zstd: CompressionTypes.ZSTD,
};

/** Batches below this many bytes (uncompressed) are sent uncompressed: see compressMinBytes. */
export const DEFAULT_COMPRESS_MIN_BYTES = 32 * 1024;

/** The codec of one produce batch: the configured one from minBytes (uncompressed) up, else none. */
export function batchCompression(
  compression: EventCompression,
  bytes: number,
  minBytes: number,
): CompressionTypes {
  return bytes >= minBytes ? CODECS[compression] : CompressionTypes.None;
}

export interface EventProducerOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly logger: Logger;
  /** A batch is sent when it holds this many messages... */
  readonly maxBatchMessages?: number;
  /** ...or when its first message has waited this long. */
  readonly lingerMs?: number;
  /**
   * Bytes (keys, values, headers, uncompressed) of one produce batch. Keep it under the broker's
   * message.max.bytes (1 MiB by default): a send() larger than this is split over several batches.
   */
  readonly maxBatchBytes?: number;
  /** Messages buffered or in flight before send() refuses more. */
  readonly maxBufferedMessages?: number;
  readonly compression?: EventCompression;
  /**
   * Batches of fewer bytes (uncompressed) go uncompressed. Compressing has a fixed cost per batch
   * that small batches do not earn back: on single-event traffic, whose batches hold 6–26 KB,
   * gzipping them cost ingest CPU and tail latency (measured, docs/ingest.md), while the bytes
   * saved were a few KB.
   */
  readonly compressMinBytes?: number;
  /** Produce batches sent at once; 1 keeps every batch in order behind the previous one. */
  readonly maxInFlightBatches?: number;
  /** Bound for one produce, retries included. */
  readonly sendTimeoutMs?: number;
  /**
   * After a failed produce, send() refuses at once for this long (fast 503s while Kafka is down),
   * then the next batch probes the broker again.
   */
  readonly pauseAfterFailureMs?: number;
  /** Called with each acknowledged batch's size and duration. */
  readonly onBatch?: (outcome: {
    readonly messages: number;
    readonly seconds: number;
    readonly ok: boolean;
  }) => void;
  readonly producerConfig?: Omit<ProducerConfig, 'idempotent' | 'maxInFlightRequests'>;
}

/** Messages buffered or in flight before send() refuses more, unless told otherwise. */
export const DEFAULT_MAX_BUFFERED_MESSAGES = 20_000;

interface Pending {
  readonly messages: readonly EventMessage[];
  readonly bytes: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  /** Answers 503 if the request is still waiting in the queue when its deadline passes. */
  expiry?: NodeJS.Timeout;
}

/**
 * A kafkajs idempotent producer (acks=all, one request in flight per broker so retries keep order)
 * behind a micro-batcher: concurrent send() calls are coalesced into one produce request, and each
 * caller's promise settles with the batch that carried its messages, never before the broker's ack.
 */
export function createEventProducer(options: EventProducerOptions): EventProducer {
  const {
    kafka,
    topic,
    logger,
    maxBatchMessages = 500,
    lingerMs = 2,
    maxBatchBytes = 768 * 1024,
    maxBufferedMessages = DEFAULT_MAX_BUFFERED_MESSAGES,
    compression = 'zstd',
    compressMinBytes = DEFAULT_COMPRESS_MIN_BYTES,
    maxInFlightBatches = 1,
    sendTimeoutMs = 10_000,
    pauseAfterFailureMs = 1_000,
    onBatch,
    producerConfig,
  } = options;
  const log = logger.child({ component: 'event-producer', topic });
  let isConnected = false;
  const newProducer = (): Producer => {
    const made = kafka.producer({
      allowAutoTopicCreation: false,
      createPartitioner: keyHashPartitioner,
      ...producerConfig,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    made.on(made.events.CONNECT, () => {
      isConnected = true;
    });
    made.on(made.events.DISCONNECT, () => {
      if (made === producer) isConnected = false;
    });
    return made;
  };
  let producer: Producer = newProducer();
  /**
   * After a failed produce the idempotent producer's sequence numbers may no longer match the
   * broker's (a broker restart mid-send), and kafkajs never re-initialises its producer id, so every
   * later send would fail too. The next batch therefore goes out through a fresh producer. Requests
   * of the failed batch were answered 503; a retry that duplicates an event is removed downstream.
   */
  let replaceBeforeNextSend = false;
  const replaceProducer = async (): Promise<void> => {
    const old = producer;
    producer = newProducer();
    await old.disconnect().catch((error: unknown) => {
      log.warn({ err: error }, 'disconnecting the failed producer');
    });
    await producer.connect();
    log.info('replaced the Kafka producer after a failed produce');
  };

  let queue: Pending[] = [];
  let queuedMessages = 0;
  let inFlightMessages = 0;
  let inFlightBatches = 0;
  let timer: NodeJS.Timeout | undefined;
  let pausedUntil = 0;
  let lastFailure = '';
  const idleWaiters: (() => void)[] = [];

  const flushSoon = () => {
    if (queuedMessages >= maxBatchMessages) {
      flush();
    } else {
      timer ??= setTimeout(flush, lingerMs);
    }
  };

  function flush(): void {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    while (queue.length > 0 && inFlightBatches < maxInFlightBatches) {
      let taken = 0;
      let size = 0;
      let bytes = 0;
      for (const next of queue) {
        const full =
          size + next.messages.length > maxBatchMessages || bytes + next.bytes > maxBatchBytes;
        if (size > 0 && full) break;
        taken += 1;
        size += next.messages.length;
        bytes += next.bytes;
      }
      const batch = queue.splice(0, taken);
      for (const pending of batch) clearTimeout(pending.expiry);
      queuedMessages -= size;
      void produce(batch, size, batchCompression(compression, bytes, compressMinBytes));
    }
  }

  async function produce(
    batch: Pending[],
    size: number,
    compressionOfBatch: CompressionTypes,
  ): Promise<void> {
    inFlightBatches += 1;
    inFlightMessages += size;
    const started = performance.now();
    let ok = false;
    const sending = (async () => {
      if (replaceBeforeNextSend) {
        replaceBeforeNextSend = false;
        await replaceProducer();
      }
      return producer.send({
        topic,
        acks: -1,
        compression: compressionOfBatch,
        messages: batch.flatMap((pending) =>
          pending.messages.map(({ key, value, headers }) => ({ key, value, headers })),
        ),
      });
    })();
    try {
      await withDeadline(sending, sendTimeoutMs);
      ok = true;
    } catch (error) {
      log.warn({ err: error, messages: size }, 'produce failed');
      lastFailure = error instanceof Error ? error.message : String(error);
      replaceBeforeNextSend = true;
      pausedUntil = performance.now() + pauseAfterFailureMs;
      const failure = new ProducerUnavailableError(`Kafka did not acknowledge: ${lastFailure}`);
      for (const pending of batch) pending.reject(failure);
    } finally {
      // A send abandoned at its deadline keeps running inside kafkajs (one request in flight per
      // broker): its slot frees only when kafkajs is done with it, so later batches wait here, with
      // their own deadlines, instead of piling up behind it inside kafkajs after an outage.
      await sending.catch(() => undefined);
      inFlightBatches -= 1;
      inFlightMessages -= size;
      if (ok) for (const pending of batch) pending.resolve();
      onBatch?.({ messages: size, seconds: (performance.now() - started) / 1000, ok });
      if (queue.length > 0) flush();
      if (queue.length === 0 && inFlightBatches === 0) {
        for (const wake of idleWaiters.splice(0)) wake();
      }
    }
  }

  const idle = () =>
    queue.length === 0 && inFlightBatches === 0
      ? Promise.resolve()
      : new Promise<void>((resolve) => idleWaiters.push(resolve));

  return {
    send: (messages) => {
      if (messages.length === 0) return Promise.resolve();
      if (performance.now() < pausedUntil) {
        return Promise.reject(
          new ProducerUnavailableError(`Kafka is unavailable (last error: ${lastFailure})`),
        );
      }
      if (queuedMessages + inFlightMessages + messages.length > maxBufferedMessages) {
        return Promise.reject(
          new ProducerOverloadedError(
            `the producer buffer is full (${maxBufferedMessages} messages)`,
          ),
        );
      }
      const parts = splitByBytes(messages, maxBatchBytes).map(
        (part) =>
          new Promise<void>((resolve, reject) => {
            const pending: Pending = {
              messages: part.messages,
              bytes: part.bytes,
              resolve,
              reject,
            };
            pending.expiry = setTimeout(() => {
              const at = queue.indexOf(pending);
              if (at < 0) return; // already sent: the batch's own deadline answers it
              queue.splice(at, 1);
              queuedMessages -= pending.messages.length;
              reject(
                new ProducerUnavailableError(
                  `not sent within ${sendTimeoutMs}ms: Kafka is slow or unavailable (last error: ${lastFailure || 'none'})`,
                ),
              );
            }, sendTimeoutMs);
            queue.push(pending);
            queuedMessages += part.messages.length;
          }),
      );
      flushSoon();
      return parts.length === 1 && parts[0] !== undefined
        ? parts[0]
        : Promise.all(parts).then(() => undefined);
    },
    connect: async () => {
      await producer.connect();
    },
    connected: () => isConnected,
    buffered: () => queuedMessages + inFlightMessages,
    disconnect: async () => {
      flush();
      await idle();
      queue = [];
      await producer.disconnect();
    },
  };
}

function sizeOf({ key, value, headers }: EventMessage): number {
  let bytes = Buffer.byteLength(key) + value.length + 64;
  // for…in rather than Object.entries: no array of pairs per message (ingest sizes every one).
  for (const name in headers) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(headers[name] ?? '');
  }
  return bytes;
}

/** A send's messages in parts of at most maxBytes each (a single larger message stays alone). */
function splitByBytes(
  messages: readonly EventMessage[],
  maxBytes: number,
): { messages: EventMessage[]; bytes: number }[] {
  const parts: { messages: EventMessage[]; bytes: number }[] = [];
  let current: { messages: EventMessage[]; bytes: number } = { messages: [], bytes: 0 };
  for (const message of messages) {
    const bytes = sizeOf(message);
    if (current.messages.length > 0 && current.bytes + bytes > maxBytes) {
      parts.push(current);
      current = { messages: [], bytes: 0 };
    }
    current.messages.push(message);
    current.bytes += bytes;
  }
  parts.push(current);
  return parts;
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`no acknowledgement within ${ms}ms`));
    }, ms);
  });
  return Promise.race([work, deadline]).finally(() => {
    clearTimeout(timer);
  });
}
