import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeEventMessage, enrichEvent } from '@event-pipeline/platform';
import { backoffDelay } from './backoff.ts';
import { deadLetterMessage } from './dead-letter-message.ts';
import { planBatch } from './plan-batch.ts';

const receipt = { receivedAt: '2026-01-01T00:00:00.000Z', pipeline: 'p', ingestionId: 'i-1' };
const good = (id: string) => {
  const encoded = encodeEventMessage(enrichEvent({ id, type: 'click' }, receipt));
  return { key: Buffer.from(encoded.key), value: encoded.value, headers: encoded.headers };
};

describe('planBatch', () => {
  it('keeps the first occurrence of each key and counts the repeats', () => {
    const plan = planBatch(3, [
      { ...good('a'), offset: '10' },
      { ...good('b'), offset: '11' },
      { ...good('a'), offset: '12' },
    ]);
    assert.deepEqual(
      plan.records.map((r) => [r.event.dedupKey, r.offset, r.partition]),
      [
        ['a', '10', 3],
        ['b', '11', 3],
      ],
    );
    assert.equal(plan.duplicatesInBatch, 1);
    assert.deepEqual(plan.deadLetters, []);
  });

  it('dead-letters undecodable, empty, schema-failing and key-mismatched messages with their reason', () => {
    const mismatched = { ...good('x'), headers: { 'ep-dedup-key': 'other' }, offset: '4' };
    const plan = planBatch(0, [
      { key: null, value: Buffer.from('{not json'), offset: '1' },
      { key: null, value: null, offset: '2' },
      { key: null, value: Buffer.from(JSON.stringify({ type: 'x' })), offset: '3' },
      mismatched,
      { ...good('ok'), offset: '5' },
    ]);
    assert.deepEqual(
      plan.deadLetters.map((d) => [d.message.offset, d.reason]),
      [
        ['1', 'undecodable'],
        ['2', 'empty'],
        ['3', 'schema'],
        ['4', 'dedup-key-mismatch'],
      ],
    );
    assert.deepEqual(
      plan.records.map((r) => r.event.dedupKey),
      ['ok'],
    );
  });
});

describe('deadLetterMessage', () => {
  it('keeps the raw value and original headers and adds reason, detail and origin', () => {
    const message = deadLetterMessage(
      {
        message: {
          key: null,
          value: Buffer.from('{x'),
          headers: { traceparent: 'tp' },
          offset: '42',
        },
        reason: 'undecodable',
        detail: 'bad',
      },
      { topic: 't', partition: 2 },
      new Date('2026-01-01T00:00:00Z'),
    );
    assert.equal(message.value?.toString(), '{x');
    assert.deepEqual(message.headers, {
      traceparent: 'tp',
      'ep-dlq-reason': 'undecodable',
      'ep-dlq-detail': 'bad',
      'ep-origin-topic': 't',
      'ep-origin-partition': '2',
      'ep-origin-offset': '42',
      'ep-dlq-failed-at': '2026-01-01T00:00:00.000Z',
    });
  });
});

describe('backoffDelay', () => {
  it('doubles from the initial delay up to the cap, with bounded jitter', () => {
    const opts = { initialMs: 100, maxMs: 1000 };
    assert.equal(backoffDelay(1, opts, 0.5), 100);
    assert.equal(backoffDelay(3, opts, 0.5), 400);
    assert.equal(backoffDelay(10, opts, 0.5), 1000);
    assert.equal(backoffDelay(10, opts, 0), 800);
    assert.equal(backoffDelay(10, opts, 1), 1200);
  });
});
