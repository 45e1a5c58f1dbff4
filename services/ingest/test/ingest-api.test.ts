import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { EVENT_HEADERS, decodeEventMessage, headerText } from '@event-pipeline/platform';
import { setting, uniqueName } from '../../../test/support/stack.ts';
import { API_KEY, createTopic, post, readTopic, startIngestUnderTest } from './harness.ts';
import type { IngestUnderTest } from './harness.ts';

interface Accepted {
  accepted: number;
  rejected: { index: number; path: string; reason: string }[];
  events: { index: number; ingestionId: string; dedupKey: string }[];
}
interface ErrorBody {
  error: { code: string; message: string; details: unknown };
}

function errorOf(body: unknown): ErrorBody['error'] {
  const { error } = body as ErrorBody;
  assert.equal(typeof error.code, 'string');
  assert.equal(typeof error.message, 'string');
  assert.ok('details' in error, 'every error carries details');
  return error;
}

describe('ingest HTTP API on real Kafka and Redis', () => {
  let brokers: string;
  let ingest: IngestUnderTest;
  let events: string;
  let batch: string;

  before(async () => {
    brokers = await setting('KAFKA_BROKERS');
    const topic = uniqueName('ingest-api');
    await createTopic(brokers, topic, 3);
    ingest = await startIngestUnderTest({
      brokers,
      redisUrl: await setting('REDIS_URL'),
      topic,
      pipeline: 'api-test',
      redisKeyPrefix: `${uniqueName('ingest-api')}:`,
      limits: {
        maxBodyBytes: 64 * 1024,
        maxDecompressedBytes: 256 * 1024,
        maxEventBytes: 4096,
        maxBatchEvents: 50,
        maxNestingDepth: 5,
        maxStringLength: 1000,
      },
    });
    events = `${ingest.url}/v1/events`;
    batch = `${ingest.url}/v1/batch`;
  });
  after(async () => {
    await ingest.stop();
  });

  it('puts an accepted event in the topic keyed by userId, with traceparent, dedup key and schema version headers', async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const sentAt = '2026-01-01T00:00:10.000Z';
    const response = await post(
      events,
      JSON.stringify({
        id: 'evt-roundtrip-1',
        type: 'page_view',
        userId: 'user-7',
        timestamp: '2026-01-01T00:00:00.000Z',
        sentAt,
        properties: { path: '/pricing' },
      }),
      { traceparent: `00-${traceId}-b7ad6b7169203331-01` },
    );
    assert.equal(response.status, 202, JSON.stringify(response.body));
    const body = response.body as Accepted;
    assert.equal(body.accepted, 1);
    assert.equal(body.events[0]?.dedupKey, 'evt-roundtrip-1');

    const messages = await readTopic(brokers, ingest.topic);
    const message = messages.find(
      (m) => headerText(m.headers, EVENT_HEADERS.dedupKey) === 'evt-roundtrip-1',
    );
    assert.ok(message, 'the event is in the topic');
    assert.equal(message.key?.toString(), 'user-7');
    assert.equal(headerText(message.headers, EVENT_HEADERS.schemaVersion), '1');
    assert.deepEqual(Object.keys(message.headers ?? {}).sort(), [
      'ep-dedup-key',
      'ep-schema-version',
      'traceparent',
    ]);
    assert.match(
      headerText(message.headers, 'traceparent') ?? '',
      new RegExp(`^00-${traceId}-[0-9a-f]{16}-0[01]$`),
    );
    const decoded = decodeEventMessage({
      value: message.value,
      ...(message.headers === undefined ? {} : { headers: message.headers }),
    });
    assert.ok(decoded.ok, 'the consumer contract decodes it');
    assert.equal(decoded.event.pipeline, 'api-test');
    assert.equal(decoded.event.ingestionId, body.events[0].ingestionId);
    assert.equal(decoded.event.properties?.path, '/pricing');
    // Clock skew: timestamp = receivedAt − (sentAt − timestamp) = receivedAt − 10 s.
    assert.equal(
      Date.parse(decoded.event.receivedAt) - Date.parse(decoded.event.timestamp ?? ''),
      10_000,
    );
  });

  it('keys by anonymousId, else by the dedup key', async () => {
    const response = await post(
      batch,
      JSON.stringify({
        events: [
          { type: 'k', anonymousId: 'anon-9', id: 'evt-k1' },
          { type: 'k', id: 'evt-k2' },
        ],
      }),
    );
    assert.equal(response.status, 202);
    const messages = await readTopic(brokers, ingest.topic);
    const byKey = (id: string) =>
      messages.find((m) => headerText(m.headers, EVENT_HEADERS.dedupKey) === id)?.key?.toString();
    assert.equal(byKey('evt-k1'), 'anon-9');
    assert.equal(byKey('evt-k2'), 'evt-k2');
  });

  it('accepts the valid events of a batch and lists each rejected one with index, path and reason', async () => {
    const response = await post(
      batch,
      JSON.stringify({
        events: [
          { type: 'ok', id: 'evt-partial-0' },
          { id: 'no-type' },
          { type: 'ok', id: 'evt-partial-2' },
          { type: 'x', properties: { deep: { a: { b: { c: { d: { e: 1 } } } } } } },
          { type: 'x', colour: 'red' },
          { type: 'x', timestamp: 'yesterday' },
        ],
      }),
    );
    assert.equal(response.status, 202);
    const body = response.body as Accepted;
    assert.equal(body.accepted, 2);
    assert.deepEqual(
      body.events.map((e) => e.index),
      [0, 2],
    );
    assert.deepEqual(
      body.rejected.map((r) => [r.index, r.path]),
      [
        [1, 'type'],
        [3, 'properties.deep.a.b.c.d'],
        [4, ''],
        [5, 'timestamp'],
      ],
    );
    assert.match(body.rejected[0]?.reason ?? '', /required/);
    assert.match(body.rejected[1]?.reason ?? '', /deeper than 5/);
    assert.match(body.rejected[2]?.reason ?? '', /unknown field "colour"/);
    const messages = await readTopic(brokers, ingest.topic);
    const ids = messages.map((m) => headerText(m.headers, EVENT_HEADERS.dedupKey));
    assert.ok(ids.includes('evt-partial-0') && ids.includes('evt-partial-2'));
    assert.ok(!ids.includes('no-type'));
  });

  it('refuses a batch with no valid event with 400 and the per-event list', async () => {
    const response = await post(batch, JSON.stringify({ events: [{ nope: 1 }, 7] }));
    assert.equal(response.status, 400);
    const error = errorOf(response.body);
    assert.equal(error.code, 'invalid_batch');
    assert.equal((error.details as { rejected: unknown[] }).rejected.length, 2);
  });

  it('accepts a gzip body', async () => {
    const response = await post(events, gzipSync(JSON.stringify({ type: 'gz', id: 'evt-gzip' })), {
      'content-encoding': 'gzip',
    });
    assert.equal(response.status, 202, JSON.stringify(response.body));
    const messages = await readTopic(brokers, ingest.topic);
    assert.ok(messages.some((m) => headerText(m.headers, EVENT_HEADERS.dedupKey) === 'evt-gzip'));
  });

  it('answers a gzip bomb with 413 without inflating it', async () => {
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20));
    assert.ok(bomb.length < 64 * 1024, 'the bomb fits under the body limit');
    const response = await post(events, bomb, { 'content-encoding': 'gzip' });
    assert.equal(response.status, 413);
    assert.equal(errorOf(response.body).code, 'payload_too_large');
  });

  it('answers each request-level problem with its 4xx and the one error shape', async () => {
    const cases: [string, () => Promise<{ status: number; body: unknown }>, number, string][] = [
      ['no key', () => post(events, '{"type":"a"}', { authorization: '' }), 401, 'unauthorized'],
      [
        'wrong key',
        () => post(events, '{"type":"a"}', { authorization: 'Bearer wrong' }),
        401,
        'unauthorized',
      ],
      ['malformed JSON', () => post(events, '{"type":', {}), 400, 'invalid_json'],
      [
        'invalid UTF-8',
        () => post(events, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), {}),
        400,
        'invalid_encoding',
      ],
      [
        'bad gzip',
        () => post(events, 'not gzip', { 'content-encoding': 'gzip' }),
        400,
        'invalid_encoding',
      ],
      ['invalid event', () => post(events, '{"type":5}', {}), 400, 'invalid_event'],
      ['empty batch', () => post(batch, '{"events":[]}', {}), 400, 'invalid_batch'],
      [
        'wrong content type',
        () => post(events, 'type=a', { 'content-type': 'application/x-www-form-urlencoded' }),
        415,
        'unsupported_media_type',
      ],
      [
        'unknown encoding',
        () => post(events, '{"type":"a"}', { 'content-encoding': 'br' }),
        415,
        'unsupported_encoding',
      ],
      [
        'body too large',
        () =>
          post(events, JSON.stringify({ type: 'a', properties: { s: 'x'.repeat(70_000) } }), {}),
        413,
        'payload_too_large',
      ],
      [
        'too many events',
        () =>
          post(
            batch,
            JSON.stringify({ events: Array.from({ length: 51 }, () => ({ type: 'a' })) }),
            {},
          ),
        413,
        'batch_too_large',
      ],
      [
        'event too large',
        () =>
          post(
            events,
            JSON.stringify({
              type: 'a',
              properties: {
                s: 'x'.repeat(900),
                t: 'y'.repeat(900),
                u: 'z'.repeat(900),
                v: 'w'.repeat(900),
                w: 'q'.repeat(900),
              },
            }),
            {},
          ),
        400,
        'invalid_event',
      ],
      [
        'string too long',
        () => post(events, JSON.stringify({ type: 'a', properties: { s: 'x'.repeat(1001) } }), {}),
        400,
        'invalid_event',
      ],
      [
        'bad idempotency key',
        () => post(events, '{"type":"a"}', { 'idempotency-key': 'a b' }),
        400,
        'invalid_header',
      ],
    ];
    for (const [name, send, status, code] of cases) {
      const response = await send();
      assert.equal(response.status, status, `${name}: ${JSON.stringify(response.body)}`);
      assert.equal(errorOf(response.body).code, code, name);
    }
    const missing = await fetch(`${ingest.url}/v1/nothing`);
    assert.equal(missing.status, 404);
    assert.equal(errorOf(await missing.json()).code, 'not_found');
    const wrongMethod = await fetch(events);
    assert.equal(wrongMethod.status, 405);
  });

  it('accepts X-API-Key as well as Bearer', async () => {
    const response = await post(events, '{"type":"header-key"}', {
      authorization: '',
      'x-api-key': API_KEY,
    });
    assert.equal(response.status, 202);
  });

  it('replays the first response for the same Idempotency-Key and body without producing again, and refuses a different body with 422', async () => {
    const key = uniqueName('idem');
    const body = JSON.stringify({ type: 'purchase', id: `evt-${key}` });
    const first = await post(events, body, { 'idempotency-key': key });
    assert.equal(first.status, 202);
    const second = await post(events, body, { 'idempotency-key': key });
    assert.equal(second.status, 202);
    assert.equal(second.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(second.body, first.body);
    const conflict = await post(events, JSON.stringify({ type: 'purchase', id: 'other' }), {
      'idempotency-key': key,
    });
    assert.equal(conflict.status, 422);
    assert.equal(errorOf(conflict.body).code, 'idempotency_key_reused');
    const messages = await readTopic(brokers, ingest.topic);
    const copies = messages.filter(
      (m) => headerText(m.headers, EVENT_HEADERS.dedupKey) === `evt-${key}`,
    );
    assert.equal(copies.length, 1, 'produced once');
  });

  it('lets exactly one of concurrent duplicates produce', async () => {
    const key = uniqueName('idem-race');
    const body = JSON.stringify({ type: 'race', id: `evt-${key}` });
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => post(events, body, { 'idempotency-key': key })),
    );
    const statuses = responses.map((r) => r.status);
    assert.ok(
      statuses.every((s) => s === 202 || s === 409),
      statuses.join(','),
    );
    const messages = await readTopic(brokers, ingest.topic);
    assert.equal(
      messages.filter((m) => headerText(m.headers, EVENT_HEADERS.dedupKey) === `evt-${key}`).length,
      1,
    );
  });

  it('serves /livez, /readyz, /openapi.json and /metrics with the eventpipeline_ prefix and pipeline label', async () => {
    assert.equal((await fetch(`${ingest.url}/livez`)).status, 200);
    const ready = await fetch(`${ingest.url}/readyz`);
    assert.equal(ready.status, 200);
    const livez = await fetch(`${ingest.url}/livez`);
    assert.equal(livez.headers.get('x-powered-by'), null, 'the framework is not advertised');
    const openapi = (await (await fetch(`${ingest.url}/openapi.json`)).json()) as {
      openapi: string;
      components: {
        schemas: { Event: { properties: Record<string, unknown>; required: string[] } };
      };
    };
    assert.equal(openapi.openapi, '3.1.0');
    assert.deepEqual(openapi.components.schemas.Event.required, ['type']);
    assert.ok('userId' in openapi.components.schemas.Event.properties);
    const metrics = await (await fetch(`${ingest.url}/metrics`)).text();
    for (const series of [
      'eventpipeline_ingest_http_requests_total{route="/v1/events",status="202",pipeline="api-test"}',
      'eventpipeline_ingest_events_rejected_total{reason="schema",pipeline="api-test"}',
      'eventpipeline_ingest_events_accepted_total{pipeline="api-test"}',
      'eventpipeline_ingest_http_request_duration_seconds_bucket',
      'eventpipeline_ingest_kafka_produce_duration_seconds_bucket',
      'eventpipeline_ingest_in_flight_requests',
    ]) {
      assert.ok(metrics.includes(series), `metrics include ${series}`);
    }
  });
});
