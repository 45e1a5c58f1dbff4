import { DEAD_LETTER_HEADERS } from '@event-pipeline/platform';
import type { Message } from 'kafkajs';
import type { DeadLetter } from './plan-batch.ts';

/**
 * The dead-letter copy of a poison message: its key, raw value and original headers, plus why it
 * was refused and where it came from, so it can be inspected and replayed.
 */
export function deadLetterMessage(
  { message, reason, detail }: DeadLetter,
  origin: { topic: string; partition: number },
  failedAt: Date,
): Message {
  return {
    key: message.key,
    value: message.value,
    headers: {
      ...message.headers,
      [DEAD_LETTER_HEADERS.reason]: reason,
      [DEAD_LETTER_HEADERS.detail]: detail.slice(0, 1024),
      [DEAD_LETTER_HEADERS.topic]: origin.topic,
      [DEAD_LETTER_HEADERS.partition]: String(origin.partition),
      [DEAD_LETTER_HEADERS.offset]: message.offset,
      [DEAD_LETTER_HEADERS.failedAt]: failedAt.toISOString(),
    },
  };
}
