import { z } from 'zod';
import { findJsonObjectProblem, isJsonObjectWithin, isStorableText } from './json-value.ts';
import type { JsonObject } from './json-value.ts';

export const EVENT_SCHEMA_VERSION = 1;
/** Levels of nesting allowed in `properties` and `context`, the object itself included. */
export const MAX_JSON_DEPTH = 32;

export const CLIENT_EVENT_FIELDS = [
  'id',
  'type',
  'source',
  'userId',
  'anonymousId',
  'timestamp',
  'sentAt',
  'properties',
  'context',
] as const;

const text = (min: number, max: number) =>
  z
    .string()
    .min(min)
    .max(max)
    .refine(isStorableText, { error: 'must be valid Unicode text without NUL characters' });

const isoDateTime = () =>
  z.iso.datetime({
    offset: true,
    error: 'must be an ISO-8601 date-time with a time zone, e.g. "2024-05-01T12:00:00.000Z"',
  });

const jsonObject = () =>
  z.custom<JsonObject>((value) => isJsonObjectWithin(value, MAX_JSON_DEPTH), {
    error: (issue) => {
      const problem = findJsonObjectProblem(issue.input, MAX_JSON_DEPTH);
      if (problem === undefined) return 'must be a JSON object';
      return problem.path === '' ? problem.message : `${problem.path}: ${problem.message}`;
    },
  });

/** A product event as clients send it. Unknown fields are refused, not dropped. */
export const clientEventSchema = z.strictObject(
  {
    /** The client's deduplication key; retries of one event must repeat it. */
    id: text(1, 128).optional(),
    /** What happened, e.g. "page_view". */
    type: text(1, 128),
    source: text(0, 128).optional(),
    userId: text(0, 256).optional(),
    anonymousId: text(0, 256).optional(),
    /** When it happened, by the client's clock. */
    timestamp: isoDateTime().optional(),
    /** When the client sent it, by the same clock; used to correct that clock's skew. */
    sentAt: isoDateTime().optional(),
    properties: jsonObject().optional(),
    context: jsonObject().optional(),
  },
  {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') {
        const noun = issue.keys.length === 1 ? 'field' : 'fields';
        return `unknown ${noun} ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}; allowed: ${CLIENT_EVENT_FIELDS.join(', ')}`;
      }
      return 'an event must be a JSON object';
    },
  },
);

/** An event as ingest hands it to Kafka and the consumer stores it. */
export const storedEventSchema = clientEventSchema.extend({
  receivedAt: isoDateTime(),
  pipeline: text(1, 253),
  ingestionId: text(1, 128),
  dedupKey: text(1, 128),
  schemaVersion: z.literal(EVENT_SCHEMA_VERSION),
});

export type ClientEvent = z.infer<typeof clientEventSchema>;
export type StoredEvent = z.infer<typeof storedEventSchema>;
