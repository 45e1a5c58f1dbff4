import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from './api-error.ts';
import { DEFAULT_LIMITS } from './config.ts';
import { batchEvents, validateEvents } from './validate-events.ts';

const limits = {
  ...DEFAULT_LIMITS,
  maxBatchEvents: 3,
  maxNestingDepth: 3,
  maxStringLength: 10,
  maxEventBytes: 120,
};

describe('event validation', () => {
  it('accepts an event of exactly the byte limit and rejects one byte more, naming its size', () => {
    // {"type":"a","properties":{"s":"…"}} is 34 bytes around the string; é takes two.
    const at = { type: 'a', properties: { s: 'é'.repeat(10) + 'x'.repeat(66) } };
    const over = { type: 'a', properties: { s: 'é'.repeat(10) + 'x'.repeat(67) } };
    assert.equal(Buffer.byteLength(JSON.stringify(at)), 120);
    const { valid, rejected } = validateEvents([at, over], { ...limits, maxStringLength: 100 });
    assert.deepEqual(
      valid.map(({ index }) => index),
      [0],
    );
    assert.deepEqual(
      rejected.map(({ index, kind, reason }) => ({ index, kind, reason })),
      [
        {
          index: 1,
          kind: 'too_large',
          reason: 'the event is 121 bytes, more than the limit of 120',
        },
      ],
    );
  });

  it('rejects events one by one with index, path and reason', () => {
    const { valid, rejected } = validateEvents(
      [
        { type: 'a' },
        { type: 'a', properties: { x: { y: { z: {} } } } },
        { type: 'a', properties: { s: 'x'.repeat(11) } },
        {
          type: 'a',
          properties: {
            s: 'x'.repeat(10),
            t: 'y'.repeat(10),
            u: 'z'.repeat(10),
            v: 'w'.repeat(10),
            w: 'q'.repeat(10),
            a: 'b'.repeat(10),
            c: 'd'.repeat(10),
            e: 'f'.repeat(10),
          },
        },
        { type: 'a', userId: 7 },
        null,
      ],
      limits,
    );
    assert.deepEqual(
      valid.map((v) => v.index),
      [0],
    );
    assert.deepEqual(
      rejected.map(({ index, path, kind }) => [index, path, kind]),
      [
        [1, 'properties.x.y.z', 'too_deep'],
        [2, 'properties.s', 'string_too_long'],
        [3, '', 'too_large'],
        [4, 'userId', 'schema'],
        [5, '', 'schema'],
      ],
    );
  });

  it('refuses a malformed or oversized batch as a whole', () => {
    const codeOf = (body: unknown) => {
      try {
        batchEvents(body, limits);
        return 'ok';
      } catch (error) {
        assert.ok(error instanceof ApiError);
        return `${error.status} ${error.code}`;
      }
    };
    assert.equal(codeOf({ events: [{}] }), 'ok');
    assert.equal(codeOf([]), '400 invalid_batch');
    assert.equal(codeOf({ events: {} }), '400 invalid_batch');
    assert.equal(codeOf({ events: [], more: 1 }), '400 invalid_batch');
    assert.equal(codeOf({ events: [1, 2, 3, 4] }), '413 batch_too_large');
  });
});
