import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { clientEvent, isoInstant, reverseKeys } from './arbitraries.test-support.ts';
import { dedupKeyOf } from './dedup-key.ts';
import type { ClientEvent } from './event-schema.ts';

const withoutId = clientEvent.map((event) => {
  const copy = { ...event };
  delete copy.id;
  return copy;
});

describe('dedupKeyOf', () => {
  it('is the client id when one is given', () => {
    fc.assert(
      fc.property(clientEvent, fc.string({ minLength: 1, maxLength: 128 }), (event, id) => {
        assert.equal(dedupKeyOf({ ...event, id }), id);
      }),
    );
  });

  it('is the SHA-256 of the canonical content otherwise (pinned: changing it breaks dedup across a deploy)', () => {
    const event: ClientEvent = {
      type: 'page_view',
      userId: 'u-1',
      timestamp: '2024-05-01T12:00:00.000Z',
      properties: { path: '/home', ref: null },
    };
    const canonical =
      '{"properties":{"path":"/home","ref":null},"timestamp":"2024-05-01T12:00:00.000Z","type":"page_view","userId":"u-1"}';
    const expected = createHash('sha256').update(canonical).digest('hex');
    assert.equal(dedupKeyOf(event), expected);
    assert.match(expected, /^[0-9a-f]{64}$/);
  });

  it('is stable under key reordering at any depth', () => {
    fc.assert(
      fc.property(withoutId, (event) => {
        assert.equal(dedupKeyOf(reverseKeys(event) as ClientEvent), dedupKeyOf(event));
      }),
    );
  });

  it('ignores sentAt, so a retry that re-stamps it still collides', () => {
    fc.assert(
      fc.property(withoutId, isoInstant, (event, sentAt) => {
        assert.equal(dedupKeyOf({ ...event, sentAt }), dedupKeyOf(event));
      }),
    );
  });

  it('differs when any content field differs', () => {
    const changes: ((event: ClientEvent) => ClientEvent)[] = [
      (event) => ({ ...event, type: `${event.type}!` }),
      (event) => ({ ...event, source: `${event.source ?? ''}s` }),
      (event) => ({ ...event, userId: `${event.userId ?? ''}u` }),
      (event) => ({ ...event, anonymousId: `${event.anonymousId ?? ''}a` }),
      (event) => ({
        ...event,
        timestamp:
          event.timestamp === '2000-01-01T00:00:00.000Z'
            ? '2000-01-01T00:00:00.001Z'
            : '2000-01-01T00:00:00.000Z',
      }),
      (event) => ({ ...event, properties: { ...event.properties, 'extra-key': 1 } }),
      (event) => ({ ...event, context: { ...event.context, 'extra-key': [] } }),
    ];
    fc.assert(
      fc.property(withoutId, fc.constantFrom(...changes), (event, change) => {
        assert.notEqual(dedupKeyOf(change(event)), dedupKeyOf(event));
      }),
    );
  });

  it('tells a missing field from an empty one and a field from a property of the same name', () => {
    assert.notEqual(dedupKeyOf({ type: 'x' }), dedupKeyOf({ type: 'x', source: '' }));
    assert.notEqual(
      dedupKeyOf({ type: 'x', userId: 'u' }),
      dedupKeyOf({ type: 'x', properties: { userId: 'u' } }),
    );
    assert.notEqual(
      dedupKeyOf({ type: 'x', properties: {} }),
      dedupKeyOf({ type: 'x', context: {} }),
    );
  });
});
