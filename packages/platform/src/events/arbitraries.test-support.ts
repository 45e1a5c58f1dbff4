import fc from 'fast-check';
import type { ClientEvent } from './event-schema.ts';
import type { JsonObject } from './json-value.ts';

export const isoInstant = fc
  .date({
    min: new Date('1970-01-01T00:00:00Z'),
    max: new Date('2100-01-01T00:00:00Z'),
    noInvalidDate: true,
  })
  .map((date) => date.toISOString());

/** JSON objects with any Unicode text, except what the schema refuses by design. */
export const jsonObject: fc.Arbitrary<JsonObject> = fc
  .dictionary(
    fc.string({ unit: 'grapheme' }),
    fc.jsonValue({ maxDepth: 3, stringUnit: 'grapheme' }),
  )
  .filter((object) => {
    const text = JSON.stringify(object);
    return !text.includes('"__proto__"') && !text.includes('\\u0000');
  })
  .map((object) => object as JsonObject);

const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });

/** Events the schema must accept; optional fields absent rather than undefined. */
export const clientEvent: fc.Arbitrary<ClientEvent> = fc
  .record({
    id: optional(fc.string({ minLength: 1, maxLength: 128 })),
    type: fc.string({ minLength: 1, maxLength: 128 }),
    source: optional(fc.string({ maxLength: 128 })),
    userId: optional(fc.string({ maxLength: 256 })),
    anonymousId: optional(fc.string({ maxLength: 256 })),
    timestamp: optional(isoInstant),
    sentAt: optional(isoInstant),
    properties: optional(jsonObject),
    context: optional(jsonObject),
  })
  .map((event) => JSON.parse(JSON.stringify(event)) as ClientEvent);

/** The same JSON value with every object's keys in reverse order. */
export function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([key, item]) => [key, reverseKeys(item)]),
    );
  }
  return value;
}
