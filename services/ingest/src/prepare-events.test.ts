import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EVENT_HEADERS, decodeEventMessage } from '@event-pipeline/platform';
import { clientEvent } from '../../../packages/platform/src/events/arbitraries.test-support.ts';
import { DEFAULT_LIMITS } from './config.ts';
import { prepareEvents } from './prepare-events.ts';
import type { PrepareRequest } from './prepare-events.ts';

const settings = { pipeline: 'shop', limits: { ...DEFAULT_LIMITS, maxStringLength: 100 } };
const traceHeaders = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };

function request(route: PrepareRequest['route'], body: unknown): PrepareRequest {
  return {
    route,
    body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
    receivedAt: '2026-12-03T10:00:00.000Z',
    traceHeaders,
  };
}

describe('prepareEvents', () => {
  it('turns a batch into one message per valid event and the 202 body listing both kinds', () => {
    const prepared = prepareEvents(
      request('/v1/batch', {
        events: [
          { id: 'a-1', type: 'page_view', userId: 'u-1' },
          { type: '' },
          { type: 'x', properties: { long: 'y'.repeat(101) } },
          { id: 'a-2', type: 'signup', anonymousId: 'anon-9' },
        ],
      }),
      settings,
    );
    assert.equal(prepared.ok, true);
    assert.deepEqual(prepared.rejections, { schema: 1, string_too_long: 1 });
    assert.deepEqual(
      prepared.messages.map(({ key, headers }) => ({
        key,
        trace: headers.traceparent,
        dedupKey: headers[EVENT_HEADERS.dedupKey],
      })),
      [
        { key: 'u-1', trace: traceHeaders.traceparent, dedupKey: 'a-1' },
        { key: 'anon-9', trace: traceHeaders.traceparent, dedupKey: 'a-2' },
      ],
    );
    const body = JSON.parse(prepared.responseJson) as {
      accepted: number;
      rejected: { index: number; path: string }[];
      events: { index: number; ingestionId: string; dedupKey: string }[];
    };
    assert.equal(body.accepted, 2);
    assert.deepEqual(
      body.rejected.map(({ index, path }) => ({ index, path })),
      [
        { index: 1, path: 'type' },
        { index: 2, path: 'properties.long' },
      ],
    );
    assert.deepEqual(
      body.events.map(({ index, dedupKey }) => ({ index, dedupKey })),
      [
        { index: 0, dedupKey: 'a-1' },
        { index: 3, dedupKey: 'a-2' },
      ],
    );
    const decoded = prepared.messages.map((message) => decodeEventMessage(message));
    assert.deepEqual(
      decoded.map((result) => (result.ok ? result.event.ingestionId : result.reason)),
      body.events.map(({ ingestionId }) => ingestionId),
    );
  });

  it('answers request-level problems as data with the code the API sends', () => {
    const cases: [PrepareRequest, string][] = [
      [request('/v1/batch', '{"events": ['), 'invalid_json'],
      [request('/v1/batch', [1, 2]), 'invalid_batch'],
      [request('/v1/events', { type: 1 }), 'invalid_event'],
      [{ ...request('/v1/events', ''), body: Uint8Array.of(0xff, 0xfe) }, 'invalid_encoding'],
    ];
    for (const [input, code] of cases) {
      const prepared = prepareEvents(input, settings);
      assert.equal(prepared.ok ? 'ok' : prepared.error.code, code);
    }
  });

  it('refuses a batch with no valid event, listing every rejection, and still counts them', () => {
    const prepared = prepareEvents(
      request('/v1/batch', {
        events: [{ type: 'a', timestamp: '2026-12-03T10:00:00Z', sentAt: '9999-12-31T00:00:00Z' }],
      }),
      settings,
    );
    assert.equal(prepared.ok, false);
    assert.equal(prepared.error.code, 'invalid_batch');
    assert.deepEqual(prepared.error.details, {
      rejected: [
        {
          index: 0,
          path: 'timestamp',
          reason: 'timestamp corrected by sentAt falls outside years 0000-9999',
        },
      ],
    });
    assert.deepEqual(prepared.rejections, { schema: 1 });
  });

  it('never throws, and every message it returns decodes to an event the response lists', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(clientEvent, fc.anything()), { minLength: 0, maxLength: 8 }),
        (events) => {
          const prepared = prepareEvents(request('/v1/batch', { events }), settings);
          if (!prepared.ok) return;
          const body = JSON.parse(prepared.responseJson) as {
            accepted: number;
            rejected: unknown[];
            events: { dedupKey: string }[];
          };
          assert.equal(body.accepted, prepared.messages.length);
          assert.equal(body.accepted + body.rejected.length, events.length);
          prepared.messages.forEach((message, i) => {
            const decoded = decodeEventMessage(message);
            assert.equal(decoded.ok, true);
            assert.equal(decoded.event.dedupKey, body.events[i]?.dedupKey);
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
