import { decodeEventMessage } from '@event-pipeline/platform';
import type { DeadLetterReason } from '@event-pipeline/platform';
import type { IHeaders } from 'kafkajs';
import type { EventRecord } from './storage/event-rows.ts';

export interface InputMessage {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: IHeaders;
  readonly offset: string;
}

export interface DeadLetter {
  readonly message: InputMessage;
  readonly reason: DeadLetterReason;
  readonly detail: string;
}

export interface BatchPlan {
  /** One record per dedup key, the first occurrence in offset order. */
  readonly records: readonly EventRecord[];
  /** Messages repeating a key seen earlier in the same batch. */
  readonly duplicatesInBatch: number;
  readonly deadLetters: readonly DeadLetter[];
}

/** Decodes a partition's messages: what to store (deduplicated within the batch) and what is poison. */
export function planBatch(partition: number, messages: readonly InputMessage[]): BatchPlan {
  const byKey = new Map<string, EventRecord>();
  const deadLetters: DeadLetter[] = [];
  let duplicatesInBatch = 0;
  for (const message of messages) {
    const decoded = decodeEventMessage(message);
    if (!decoded.ok) {
      deadLetters.push({ message, reason: decoded.reason, detail: decoded.detail });
      continue;
    }
    if (byKey.has(decoded.event.dedupKey)) {
      duplicatesInBatch += 1;
      continue;
    }
    byKey.set(decoded.event.dedupKey, { event: decoded.event, partition, offset: message.offset });
  }
  return { records: [...byKey.values()], duplicatesInBatch, deadLetters };
}
