import { hash } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';
import type { ClientEvent } from './event-schema.ts';

/**
 * The key under which an event is stored at most once: the client's `id` when given, else the
 * SHA-256 (hex) of its canonical content. sentAt is left out so a retry that re-stamps it still
 * collides with the first attempt; server fields (receivedAt, …) are never part of the content.
 */
export function dedupKeyOf(event: ClientEvent): string {
  if (event.id !== undefined) return event.id;
  const { type, source, userId, anonymousId, timestamp, properties, context } = event;
  // Built with its keys in canonical (sorted) order, so canonicalJson takes its fast path.
  const content = { anonymousId, context, properties, source, timestamp, type, userId };
  return hash('sha256', canonicalJson(content), 'hex');
}
