import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dedupKeyOf } from './dedup-key.ts';
import { enrichEvent } from './enrich-event.ts';

const receipt = {
  receivedAt: '2026-01-01T12:00:10.000Z',
  pipeline: 'clickstream',
  ingestionId: 'ing-1',
};

describe('enrichEvent', () => {
  it('corrects the timestamp for client clock skew and adds the server fields', () => {
    // The client clock is 1 h behind: it says it sent the event 5 s after it happened.
    const event = {
      type: 'click',
      timestamp: '2026-01-01T11:00:00.000Z',
      sentAt: '2026-01-01T11:00:05.000Z',
    };
    const stored = enrichEvent(event, receipt);
    assert.equal(stored.timestamp, '2026-01-01T12:00:05.000Z');
    assert.equal(stored.receivedAt, receipt.receivedAt);
    assert.equal(stored.pipeline, 'clickstream');
    assert.equal(stored.schemaVersion, 1);
  });

  it('keeps the dedup key of what the client sent, so a retry with a later sentAt matches', () => {
    const first = {
      type: 'click',
      timestamp: '2026-01-01T11:00:00.000Z',
      sentAt: '2026-01-01T11:00:05.000Z',
    };
    const retry = { ...first, sentAt: '2026-01-01T11:01:00.000Z' };
    assert.equal(enrichEvent(first, receipt).dedupKey, enrichEvent(retry, receipt).dedupKey);
    assert.equal(enrichEvent(first, receipt).dedupKey, dedupKeyOf(first));
  });

  it('uses receivedAt when the client sent no timestamp', () => {
    assert.equal(enrichEvent({ type: 'click' }, receipt).timestamp, receipt.receivedAt);
  });
});
