import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { clientEvent } from '../../../packages/platform/src/events/arbitraries.test-support.ts';
import { setting, uniqueName } from '../../../test/support/stack.ts';
import { API_KEY, createTopic, startIngestUnderTest } from './harness.ts';
import type { IngestUnderTest } from './harness.ts';

const limits = { maxNestingDepth: 8, maxStringLength: 300, maxBatchEvents: 20 };

/** An event paired with whether the API must accept it: invalid ones break one known rule. */
const labelledEvent: fc.Arbitrary<{ event: unknown; valid: boolean }> = fc.oneof(
  { weight: 3, arbitrary: clientEvent.map((event) => ({ event, valid: true })) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        clientEvent,
        fc.constantFrom<(e: Record<string, unknown>) => unknown>(
          (e) => Object.fromEntries(Object.entries(e).filter(([key]) => key !== 'type')),
          (e) => ({ ...e, type: 42 }),
          (e) => ({ ...e, type: '' }),
          (e) => ({ ...e, type: 'a\u0000b' }),
          (e) => ({ ...e, userId: 'x\uD800' }),
          (e) => ({ ...e, unknownField: true }),
          (e) => ({ ...e, timestamp: 'yesterday' }),
          (e) => ({ ...e, sentAt: '2024-01-01T00:00:00' }),
          (e) => ({ ...e, properties: [1, 2] }),
          (e) => ({ ...e, context: 'text' }),
          (e) => ({ ...e, properties: { s: 'x'.repeat(301) } }),
          (e) => ({ ...e, properties: nest(10) }),
          (e) => ({ ...e, properties: { ['__proto__']: 1 } }),
          () => null,
          () => 17,
          () => 'event',
          () => [{ type: 'a' }],
        ),
      )
      .map(([event, mutate]) => ({
        event: mutate(event as Record<string, unknown>),
        valid: false,
      })),
  },
);

function nest(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: 1 };
  for (let i = 0; i < depth; i += 1) value = { n: value };
  return value;
}

const request = fc.record({
  route: fc.constantFrom('events', 'batch'),
  events: fc.array(labelledEvent, { minLength: 1, maxLength: 8 }),
  junk: fc.oneof(
    { weight: 9, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.string({ maxLength: 64 }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)) },
  ),
  extraBatchField: fc.nat({ max: 9 }).map((n) => n === 0),
  encoding: fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom('identity', 'gzip', 'none') },
    { weight: 1, arbitrary: fc.constantFrom('br', 'gzip-corrupt') },
  ),
  contentType: fc.oneof(
    { weight: 12, arbitrary: fc.constant('application/json') },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'text/plain',
        'application/json; charset=latin1',
        '',
        'application/xml',
      ),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
  ),
  auth: fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom('bearer', 'x-api-key') },
    { weight: 1, arbitrary: fc.constantFrom('none', 'wrong', 'garbage') },
  ),
  idempotencyKey: fc.option(fc.string({ minLength: 0, maxLength: 40 }), { freq: 2 }),
  traceparent: fc.option(fc.string({ maxLength: 60 }), { freq: 2 }),
});

describe('fuzzing request bodies and headers against a running ingest', () => {
  let ingest: IngestUnderTest;

  before(async () => {
    const brokers = await setting('KAFKA_BROKERS');
    const topic = uniqueName('ingest-fuzz');
    await createTopic(brokers, topic, 3);
    ingest = await startIngestUnderTest({
      brokers,
      redisUrl: await setting('REDIS_URL'),
      topic,
      redisKeyPrefix: `${uniqueName('ingest-fuzz')}:`,
      limits,
    });
  });
  after(async () => {
    await ingest.stop();
  });

  it('never answers 5xx, never crashes, and never accepts an invalid event', async (t) => {
    const seen = new Map<number, number>();
    let sequence = 0;
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        sequence += 1;
        const single = r.route === 'events';
        const events = single ? r.events.slice(0, 1) : r.events;
        const json =
          r.junk ??
          JSON.stringify(
            single
              ? events[0]?.event
              : { events: events.map((e) => e.event), ...(r.extraBatchField ? { more: 1 } : {}) },
          );
        const raw = typeof json === 'string' ? Buffer.from(json) : json;
        const body =
          r.encoding === 'gzip'
            ? gzipSync(raw)
            : r.encoding === 'gzip-corrupt'
              ? gzipSync(raw).subarray(0, 12)
              : raw;
        const headers: Record<string, string> = {};
        if (r.contentType !== '') headers['content-type'] = r.contentType;
        if (r.encoding === 'gzip' || r.encoding === 'gzip-corrupt')
          headers['content-encoding'] = 'gzip';
        if (r.encoding === 'br') headers['content-encoding'] = 'br';
        if (r.auth === 'bearer') headers.authorization = `Bearer ${API_KEY}`;
        if (r.auth === 'x-api-key') headers['x-api-key'] = API_KEY;
        if (r.auth === 'wrong') headers.authorization = `Bearer ${API_KEY}x`;
        if (r.auth === 'garbage') headers.authorization = 'Bearer';
        if (r.idempotencyKey !== null)
          headers['idempotency-key'] = `${sequence}-${r.idempotencyKey}`;
        if (r.traceparent !== null) headers.traceparent = r.traceparent;
        let response: Response;
        try {
          response = await fetch(`${ingest.url}/v1/${r.route}`, { method: 'POST', headers, body });
        } catch (error) {
          // fetch itself refuses some header values (control characters): nothing reached the server.
          const cause: unknown = error instanceof TypeError ? error.cause : undefined;
          if (
            error instanceof TypeError &&
            !(cause instanceof Error && cause.message.includes('ECONN'))
          )
            return;
          throw error;
        }
        const text = await response.text();
        seen.set(response.status, (seen.get(response.status) ?? 0) + 1);
        assert.ok(response.status < 500, `5xx: ${response.status} ${text}`);
        const parsed = JSON.parse(text) as {
          accepted?: number;
          events?: { index: number }[];
          error?: { code: string; message: string; details: unknown };
        };
        if (response.status >= 400) {
          assert.equal(typeof parsed.error?.code, 'string', 'the error shape');
          assert.equal(typeof parsed.error?.message, 'string');
          assert.ok(parsed.error !== undefined && 'details' in parsed.error);
        }
        const wellFormedRequest =
          r.junk === null &&
          !r.extraBatchField &&
          ['identity', 'gzip', 'none'].includes(r.encoding) &&
          r.contentType === 'application/json' &&
          (r.auth === 'bearer' || r.auth === 'x-api-key') &&
          (r.idempotencyKey === null || /^[\x21-\x7e]{0,40}$/.test(r.idempotencyKey));
        if (response.status < 300) {
          assert.ok(r.junk === null, 'junk is never accepted');
          const accepted = (parsed.events ?? []).map((e) => e.index);
          for (const index of accepted)
            assert.ok(
              events[index]?.valid,
              `accepted invalid event ${index}: ${JSON.stringify(events[index]?.event)}`,
            );
        }
        if (wellFormedRequest) {
          const validIndexes = events.flatMap((e, index) => (e.valid ? [index] : []));
          if (validIndexes.length === 0) assert.equal(response.status, 400, text);
          else {
            assert.equal(response.status, 202, text);
            assert.deepEqual(
              (parsed.events ?? []).map((e) => e.index),
              validIndexes,
            );
          }
        }
      }),
      { numRuns: 200 },
    );
    t.diagnostic(`statuses: ${JSON.stringify(Object.fromEntries(seen))}`);
    assert.equal((await fetch(`${ingest.url}/livez`)).status, 200);
  });
});
