import { correctClockSkew } from './clock-skew.ts';
import { dedupKeyOf } from './dedup-key.ts';
import { EVENT_SCHEMA_VERSION } from './event-schema.ts';
import type { ClientEvent, StoredEvent } from './event-schema.ts';

export interface Receipt {
  readonly receivedAt: string;
  readonly pipeline: string;
  readonly ingestionId: string;
}

/**
 * The stored form of a validated client event: the client's fields, `timestamp` corrected for the
 * client's clock skew, plus server fields. The dedup key is computed from what the client sent, so
 * a retry (same event, later `sentAt`) keeps its key.
 */
export function enrichEvent(event: ClientEvent, receipt: Receipt): StoredEvent {
  return {
    ...event,
    timestamp: correctClockSkew({
      receivedAt: receipt.receivedAt,
      ...(event.timestamp === undefined ? {} : { timestamp: event.timestamp }),
      ...(event.sentAt === undefined ? {} : { sentAt: event.sentAt }),
    }),
    receivedAt: receipt.receivedAt,
    pipeline: receipt.pipeline,
    ingestionId: receipt.ingestionId,
    dedupKey: dedupKeyOf(event),
    schemaVersion: EVENT_SCHEMA_VERSION,
  };
}
