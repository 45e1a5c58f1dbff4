import { clientEventSchema } from '@event-pipeline/platform';
import type { ClientEvent } from '@event-pipeline/platform';
import { ApiError } from './api-error.ts';
import type { Limits } from './config.ts';
import { findLimitProblem } from './event-limits.ts';
import { jsonBytesIfOver } from './json-bytes.ts';

export type RejectionKind = 'schema' | 'too_large' | 'too_deep' | 'string_too_long';

export interface RejectedEvent {
  readonly index: number;
  /** Where in the event, as `properties.cart[2].sku`; empty for the event itself. */
  readonly path: string;
  readonly reason: string;
}

export interface Validated {
  readonly valid: readonly { readonly index: number; readonly event: ClientEvent }[];
  readonly rejected: readonly (RejectedEvent & { readonly kind: RejectionKind })[];
}

/** The events of a POST /v1/batch body, or a 4xx for the whole request. */
export function batchEvents(body: unknown, limits: Limits): readonly unknown[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError('invalid_batch', 'a batch must be a JSON object {"events": [...]}', {
      path: '',
    });
  }
  const extra = Object.keys(body).filter((key) => key !== 'events');
  if (extra.length > 0) {
    throw new ApiError('invalid_batch', `unknown batch fields: ${extra.join(', ')}`, {
      path: extra[0],
    });
  }
  const { events } = body as { events?: unknown };
  if (!Array.isArray(events)) {
    throw new ApiError('invalid_batch', '"events" must be an array of events', {
      path: 'events',
    });
  }
  if (events.length === 0) {
    throw new ApiError('invalid_batch', '"events" is empty', { path: 'events' });
  }
  if (events.length > limits.maxBatchEvents) {
    throw new ApiError(
      'batch_too_large',
      `a batch holds at most ${limits.maxBatchEvents} events; this one has ${events.length}`,
      { limitEvents: limits.maxBatchEvents, events: events.length },
    );
  }
  return events;
}

/**
 * Each event checked on its own: limits first, then the platform's client event schema. Size is
 * measured on the event's JSON; `knownBytes` skips that work when the body is the event.
 */
export function validateEvents(
  events: readonly unknown[],
  limits: Limits,
  knownBytes?: number,
): Validated {
  const valid: { index: number; event: ClientEvent }[] = [];
  const rejected: (RejectedEvent & { kind: RejectionKind })[] = [];
  events.forEach((candidate, index) => {
    // The exact size only when it may break the limit (a cheap bound says when).
    const bytes = knownBytes ?? jsonBytesIfOver(candidate, limits.maxEventBytes);
    const limit = findLimitProblem(candidate, bytes, limits);
    if (limit !== undefined) {
      rejected.push({ index, path: limit.path, reason: limit.reason, kind: limit.kind });
      return;
    }
    const result = clientEventSchema.safeParse(candidate);
    if (result.success) {
      valid.push({ index, event: result.data });
      return;
    }
    const [issue] = result.error.issues;
    rejected.push({
      index,
      path: issue === undefined ? '' : issue.path.map(String).join('.'),
      reason:
        issue === undefined
          ? 'invalid event'
          : issue.code === 'invalid_type' && isMissing(candidate, issue.path)
            ? 'is required'
            : issue.message,
      kind: 'schema',
    });
  });
  return { valid, rejected };
}

function isMissing(candidate: unknown, path: readonly PropertyKey[]): boolean {
  const [field] = path;
  return (
    path.length === 1 &&
    typeof field === 'string' &&
    typeof candidate === 'object' &&
    candidate !== null &&
    !Object.hasOwn(candidate, field)
  );
}
