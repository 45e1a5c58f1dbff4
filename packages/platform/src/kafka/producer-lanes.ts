import { DEFAULT_MAX_BUFFERED_MESSAGES, createEventProducer } from './producer.ts';
import type { EventProducer, EventProducerOptions } from './producer.ts';
import type { EventMessage } from './event-message.ts';

/**
 * The lane of a message key: FNV-1a over its UTF-16 code units, modulo the lane count. Stable
 * across processes and restarts, so one key always travels through one lane.
 */
export function laneOf(key: string, lanes: number): number {
  if (lanes <= 1) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i += 1) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % lanes;
}

/** Messages grouped by lane, each group in the order given. */
export function splitByLane(
  messages: readonly EventMessage[],
  lanes: number,
): Map<number, EventMessage[]> {
  const groups = new Map<number, EventMessage[]>();
  for (const message of messages) {
    const lane = laneOf(message.key, lanes);
    const group = groups.get(lane);
    if (group === undefined) groups.set(lane, [message]);
    else group.push(message);
  }
  return groups;
}

export interface LanedProducerOptions extends EventProducerOptions {
  /** Independent idempotent producers, each with one produce request in flight. */
  readonly lanes: number;
}

/**
 * Several idempotent producers side by side. kafkajs's idempotent producer allows one request in
 * flight, so one producer's throughput is one round trip at a time; lanes put several round trips
 * in flight. A key always goes through the same lane (laneOf) and so to the same partition behind
 * its own earlier batches: per-key order holds as with one producer. A send resolves only when
 * every lane that carried part of it has the broker's acknowledgement, and rejects if any part
 * failed (the client retries the whole request; the dedup key removes what had landed).
 */
export function createLanedProducer(options: LanedProducerOptions): EventProducer {
  const { lanes: count, ...single } = options;
  if (count <= 1) return createEventProducer(single);
  const perLaneBuffer = Math.max(
    1,
    Math.floor((single.maxBufferedMessages ?? DEFAULT_MAX_BUFFERED_MESSAGES) / count),
  );
  const lanes = Array.from({ length: count }, (_, lane) =>
    createEventProducer({
      ...single,
      maxBufferedMessages: perLaneBuffer,
      logger: single.logger.child({ lane }),
    }),
  );
  return {
    send: async (messages) => {
      const groups = splitByLane(messages, count);
      const parts = lanes.flatMap((lane, index) => {
        const part = groups.get(index);
        return part === undefined ? [] : [lane.send(part)];
      });
      // Every part settles before the caller hears back, so no send outlives its answer.
      await allSettledOrThrow(parts);
    },
    connect: async () => {
      await Promise.all(lanes.map((lane) => lane.connect()));
    },
    connected: () => lanes.every((lane) => lane.connected()),
    buffered: () => lanes.reduce((sum, lane) => sum + lane.buffered(), 0),
    disconnect: () => allSettledOrThrow(lanes.map((lane) => lane.disconnect())),
  };
}

/** Waits for every promise, then rejects with the first failure, if any. */
async function allSettledOrThrow(work: readonly Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(work);
  const failed = results.find((result) => result.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}
