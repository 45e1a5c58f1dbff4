import { dedupKeyOf } from './dedup-key.ts';
import { EVENT_SCHEMA_VERSION } from './event-schema.ts';
import type { ClientEvent, StoredEvent } from './event-schema.ts';

export interface Receipt {
  readonly receivedAt: string;
  readonly pipeline: string;
  readonly ingestionId: string;
}

/** The stored form of a validated client event: the client's fields untouched plus server fields. */
export function enrichEvent(event: ClientEvent, receipt: Receipt): StoredEvent {
  return {
    ...event,
    receivedAt: receipt.receivedAt,
    pipeline: receipt.pipeline,
    ingestionId: receipt.ingestionId,
    dedupKey: dedupKeyOf(event),
    schemaVersion: EVENT_SCHEMA_VERSION,
  };
}
