import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { enrichEvent } from '../events/enrich-event.ts';
import {
  DEAD_LETTER_HEADERS,
  EVENT_HEADERS,
  decodeEventMessage,
  deadLetterTopic,
  encodeEventMessage,
  messageKey,
} from './event-message.ts';

const receipt = { receivedAt: '2026-01-01T12:00:00.000Z', pipeline: 'p', ingestionId: 'i-1' };

describe('event messages', () => {
  it('round-trip a stored event with its dedup key, schema version and trace headers', () => {
    const event = enrichEvent({ type: 'click', userId: 'u1', properties: { a: 1 } }, receipt);
    const message = encodeEventMessage(event, {
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    assert.equal(message.key, 'u1');
    assert.equal(message.headers[EVENT_HEADERS.dedupKey], event.dedupKey);
    assert.equal(message.headers[EVENT_HEADERS.schemaVersion], '1');
    assert.equal(
      message.headers.traceparent,
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    );
    const headers = Object.fromEntries(
      Object.entries(message.headers).map(([k, v]) => [k, Buffer.from(v)]),
    );
    assert.deepEqual(decodeEventMessage({ value: message.value, headers }), { ok: true, event });
  });

  it('keys by user, then anonymous id, then dedup key', () => {
    assert.equal(
      messageKey(enrichEvent({ type: 't', userId: 'u', anonymousId: 'a' }, receipt)),
      'u',
    );
    assert.equal(
      messageKey(enrichEvent({ type: 't', userId: '', anonymousId: 'a' }, receipt)),
      'a',
    );
    const anonymous = enrichEvent({ type: 't', id: 'evt-1' }, receipt);
    assert.equal(messageKey(anonymous), 'evt-1');
  });

  it('names why a message is poison', () => {
    assert.equal(decodeEventMessage({ value: null }).ok, false);
    assert.deepEqual(decodeEventMessage({ value: Buffer.from('{nope') }).ok, false);
    const notJson = decodeEventMessage({ value: Buffer.from('{nope') });
    assert.ok(!notJson.ok && notJson.reason === 'undecodable');
    const schema = decodeEventMessage({ value: Buffer.from(JSON.stringify({ type: 'x' })) });
    assert.ok(!schema.ok && schema.reason === 'schema' && schema.detail.includes('receivedAt'));
    const event = enrichEvent({ type: 'click' }, receipt);
    const mismatch = decodeEventMessage({
      value: Buffer.from(JSON.stringify(event)),
      headers: { [EVENT_HEADERS.dedupKey]: 'other' },
    });
    assert.ok(!mismatch.ok && mismatch.reason === 'dedup-key-mismatch');
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        const result = decodeEventMessage({ value: Buffer.from(bytes) });
        assert.equal(typeof result.ok, 'boolean');
      }),
    );
  });

  it('names the dead-letter topic and headers', () => {
    assert.equal(deadLetterTopic('analytics.clickstream'), 'analytics.clickstream.dlq');
    assert.equal(DEAD_LETTER_HEADERS.offset, 'ep-origin-offset');
  });
});
