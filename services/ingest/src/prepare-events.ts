import { randomUUID } from 'node:crypto';
import { encodeEventMessage, enrichEvent } from '@event-pipeline/platform';
import type { EventMessage } from '@event-pipeline/platform';
import { ApiError } from './api-error.ts';
import type { ErrorCode } from './api-error.ts';
import type { Limits } from './config.ts';
import { parseJsonBody } from './request-body.ts';
import { batchEvents, validateEvents } from './validate-events.ts';
import type { RejectedEvent, RejectionKind } from './validate-events.ts';

export type Route = '/v1/events' | '/v1/batch';

/** What is the same for every request of a process: a worker thread gets it once. */
export interface PrepareSettings {
  readonly pipeline: string;
  readonly limits: Limits;
}

export interface PrepareRequest {
  readonly route: Route;
  /** The decoded body (after Content-Encoding). */
  readonly body: Uint8Array;
  readonly receivedAt: string;
  /** W3C trace context of the request's span, copied into every message's headers. */
  readonly traceHeaders: Readonly<Record<string, string>>;
}

/** Events rejected one by one, by reason: counted in metrics whatever the request's outcome. */
export type RejectionCounts = Partial<Record<RejectionKind, number>>;

/** A request-level refusal as plain data, so it crosses a worker thread boundary intact. */
export interface PreparedError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly details: unknown;
}

export type Prepared =
  | {
      readonly ok: true;
      /** One Kafka message per accepted event, in request order. */
      readonly messages: EventMessage[];
      /** The 202 body ({accepted, rejected, events}), serialized where it was built. */
      readonly responseJson: string;
      readonly rejections: RejectionCounts;
    }
  | { readonly ok: false; readonly error: PreparedError; readonly rejections: RejectionCounts };

const ISO_YEAR = /^\d{4}-/;

/**
 * A request's body to the messages ingest produces and the answer it gives if Kafka takes them:
 * parse, validate each event, enrich, encode. CPU only, no I/O, never throws for bad input, so
 * the same code runs on the event loop or on a worker thread (prepare-pool.ts).
 */
export function prepareEvents(request: PrepareRequest, settings: PrepareSettings): Prepared {
  const rejections: RejectionCounts = {};
  try {
    return prepareOrThrow(request, settings, rejections);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return {
      ok: false,
      error: { code: error.code, message: error.message, details: error.details },
      rejections,
    };
  }
}

function prepareOrThrow(
  { route, body, receivedAt, traceHeaders }: PrepareRequest,
  { pipeline, limits }: PrepareSettings,
  rejections: RejectionCounts,
): Prepared {
  const single = route === '/v1/events';
  const parsed = parseJsonBody(body);
  const events = single ? [parsed] : batchEvents(parsed, limits);
  const { valid, rejected: invalid } = validateEvents(
    events,
    limits,
    single ? body.length : undefined,
  );
  const rejected: RejectedEvent[] = invalid.map(({ index, path, reason }) => ({
    index,
    path,
    reason,
  }));
  for (const { kind } of invalid) rejections[kind] = (rejections[kind] ?? 0) + 1;

  const messages: EventMessage[] = [];
  const accepted: { index: number; ingestionId: string; dedupKey: string }[] = [];
  for (const { index, event } of valid) {
    const stored = enrichEvent(event, { receivedAt, pipeline, ingestionId: randomUUID() });
    if (stored.timestamp === undefined || !ISO_YEAR.test(stored.timestamp)) {
      rejected.push({
        index,
        path: 'timestamp',
        reason: 'timestamp corrected by sentAt falls outside years 0000-9999',
      });
      rejections.schema = (rejections.schema ?? 0) + 1;
      continue;
    }
    messages.push(encodeEventMessage(stored, traceHeaders));
    accepted.push({ index, ingestionId: stored.ingestionId, dedupKey: stored.dedupKey });
  }
  rejected.sort((a, b) => a.index - b.index);
  if (messages.length === 0) {
    const [first] = rejected;
    throw new ApiError(
      single ? 'invalid_event' : 'invalid_batch',
      single
        ? `the event is invalid: ${first?.path === '' ? '' : `${first?.path ?? ''}: `}${first?.reason ?? ''}`
        : `no valid event in the batch (${rejected.length} rejected)`,
      { rejected },
    );
  }
  return {
    ok: true,
    messages,
    responseJson: JSON.stringify({ accepted: messages.length, rejected, events: accepted }),
    rejections,
  };
}
