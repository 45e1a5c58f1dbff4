import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { clientEvent } from './arbitraries.test-support.ts';
import { enrichEvent } from './enrich-event.ts';
import { MAX_JSON_DEPTH, clientEventSchema, storedEventSchema } from './event-schema.ts';
import type { StoredEvent } from './event-schema.ts';

function messagesFor(input: unknown): string[] {
  const result = clientEventSchema.safeParse(input);
  if (result.success) assert.fail(`accepted ${JSON.stringify(input)}`);
  return result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

function nested(depth: number): unknown {
  let value: unknown = {};
  for (let level = 1; level < depth; level += 1) value = { a: value };
  return value;
}

describe('clientEventSchema', () => {
  it('accepts a minimal and a complete event', () => {
    assert.deepEqual(clientEventSchema.parse({ type: 'page_view' }), { type: 'page_view' });
    const full = {
      id: 'evt-1',
      type: 'checkout',
      source: 'web',
      userId: 'u-1',
      anonymousId: 'a-1',
      timestamp: '2024-05-01T12:00:00.000+02:00',
      sentAt: '2024-05-01T10:00:05Z',
      properties: { total: 12.5, items: [{ sku: 'x', qty: 2 }], coupon: null },
      context: { ip: '10.0.0.1', locale: 'en' },
    };
    assert.deepEqual(clientEventSchema.parse(full), full);
  });

  it('accepts every event built from valid fields', () => {
    fc.assert(
      fc.property(clientEvent, (event) => {
        assert.deepEqual(clientEventSchema.parse(event), event);
      }),
    );
  });

  it('refuses unknown top-level fields, naming them and the allowed ones', () => {
    assert.deepEqual(messagesFor({ type: 'x', event: 'y', userid: 'u' }), [
      ': unknown fields "event", "userid"; allowed: id, type, source, userId, anonymousId, timestamp, sentAt, properties, context',
    ]);
    assert.match(
      messagesFor(JSON.parse('{"type":"x","__proto__":{}}'))[0] ?? '',
      /unknown field "__proto__"/,
    );
  });

  it('explains each bad field', () => {
    assert.deepEqual(messagesFor({ type: '' }), [
      'type: Too small: expected string to have >=1 characters',
    ]);
    assert.deepEqual(messagesFor({}), ['type: Invalid input: expected string, received undefined']);
    assert.deepEqual(messagesFor({ type: 'x', id: 'i'.repeat(129) }), [
      'id: Too big: expected string to have <=128 characters',
    ]);
    assert.match(
      messagesFor({ type: 'x', timestamp: '2024-05-01T12:00:00' })[0] ?? '',
      /^timestamp: must be an ISO-8601 date-time with a time zone/,
    );
    assert.match(messagesFor({ type: 'x', sentAt: 1714564800000 })[0] ?? '', /^sentAt: /);
    assert.deepEqual(messagesFor([{ type: 'x' }]), [': an event must be a JSON object']);
    assert.deepEqual(messagesFor(null), [': an event must be a JSON object']);
  });

  it('refuses text PostgreSQL cannot store', () => {
    assert.match(messagesFor({ type: 'a\u0000b' })[0] ?? '', /^type: must be valid Unicode/);
    assert.match(messagesFor({ type: '\uD800' })[0] ?? '', /^type: must be valid Unicode/);
    assert.deepEqual(messagesFor({ type: 'x', properties: { note: 'a\u0000' } }), [
      'properties: note: text must be valid Unicode without NUL',
    ]);
    assert.deepEqual(messagesFor({ type: 'x', context: { ['\uDC00']: 1 } }), [
      'context: keys must be valid Unicode without NUL',
    ]);
  });

  it('wants properties and context to be JSON objects within the depth limit', () => {
    assert.deepEqual(messagesFor({ type: 'x', properties: [1, 2] }), [
      'properties: must be a JSON object',
    ]);
    assert.deepEqual(messagesFor({ type: 'x', context: 'ctx' }), [
      'context: must be a JSON object',
    ]);
    assert.deepEqual(messagesFor({ type: 'x', properties: { n: Number.POSITIVE_INFINITY } }), [
      'properties: n: number is out of range',
    ]);
    assert.deepEqual(
      messagesFor({ type: 'x', properties: JSON.parse('{"a":{"__proto__":1}}') as unknown }),
      ['properties: a.__proto__: key "__proto__" is not allowed'],
    );
    assert.equal(
      clientEventSchema.safeParse({ type: 'x', properties: nested(MAX_JSON_DEPTH) }).success,
      true,
    );
    assert.match(
      messagesFor({ type: 'x', properties: nested(MAX_JSON_DEPTH + 1) })[0] ?? '',
      /^properties: a(\.a)+: nested deeper than 32 levels$/,
    );
  });

  it('never throws, whatever it is given', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          fc.anything(),
          fc.record({ type: fc.string(), properties: fc.anything() }),
        ),
        (input) => {
          clientEventSchema.safeParse(input);
        },
      ),
    );
  });

  it('survives hostile nesting without overflowing the stack', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) as unknown;
    const result = clientEventSchema.safeParse({ type: 'x', properties: { deep } });
    assert.equal(result.success, false);
  });
});

describe('storedEventSchema', () => {
  const receipt = {
    receivedAt: '2024-05-01T10:00:06.000Z',
    pipeline: 'clickstream',
    ingestionId: 'ing-1',
  };

  it('accepts what enrichEvent makes of any valid event', () => {
    fc.assert(
      fc.property(clientEvent, (event) => {
        const stored = enrichEvent(event, receipt);
        assert.deepEqual(storedEventSchema.parse(stored), stored);
      }),
    );
  });

  it('refuses other schema versions and unknown fields', () => {
    const stored = enrichEvent({ type: 'x' }, receipt);
    assert.equal(storedEventSchema.safeParse({ ...stored, schemaVersion: 2 }).success, false);
    assert.equal(storedEventSchema.safeParse({ ...stored, extra: true }).success, false);
    const withoutKey: Partial<StoredEvent> = { ...stored };
    delete withoutKey.dedupKey;
    assert.equal(storedEventSchema.safeParse(withoutKey).success, false);
  });
});
