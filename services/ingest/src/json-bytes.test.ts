import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { jsonBytesBound, jsonBytesIfOver } from './json-bytes.ts';

const exact = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');

describe('JSON size of an event, measured only near the limit', () => {
  it('bounds the size from above for any JSON value, any text', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.jsonValue({ stringUnit: 'binary' }), fc.jsonValue({ stringUnit: 'grapheme' })),
        (value) => {
          assert.ok(jsonBytesBound(value) >= exact(value));
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('holds for the worst cases of each kind', () => {
    const cases: unknown[] = [
      '\u0000\u001f\ud800\udc00\udfff',
      '\ud83d\ude00é€',
      -0.0000012345678901234567,
      -1.7976931348623157e308,
      Number.MIN_VALUE,
      123456789012345680000,
      { '\u0001': [true, false, null], '"\\': {} },
      [[[[]]]],
    ];
    for (const value of cases)
      assert.ok(jsonBytesBound(value) >= exact(value), JSON.stringify(value));
    // What JSON.parse does not make has no bound: the caller serializes it.
    assert.equal(jsonBytesBound({ at: new Date(0) }), Infinity);
    assert.equal(jsonBytesIfOver({ at: new Date(0) }, 1_000), exact({ at: new Date(0) }));
    assert.equal(jsonBytesBound(Object.create({ inherited: 1 }) as object), Infinity);
    assert.equal(jsonBytesBound(JSON.parse('{"__proto__":"x"}')), 2 + 4 + 6 * 9 + 2 + 6);
  });

  it('gives the exact size whenever the bound passes the limit, and nothing below it', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'binary' }), fc.nat({ max: 400 }), (value, limit) => {
        const measured = jsonBytesIfOver(value, limit);
        if (measured === undefined) assert.ok(exact(value) <= limit);
        else assert.equal(measured, exact(value));
      }),
      { numRuns: 1_000 },
    );
  });

  it('stops walking once the bound passes the limit, and survives hostile nesting', () => {
    const wide = Array.from({ length: 100_000 }, () => 'x');
    assert.equal(jsonBytesBound(wide), 2 + 100_000 + 100_000 * 8);
    assert.equal(jsonBytesBound(wide, 10), 2 + 100_000, 'stopped before the items');
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i += 1) deep = [deep];
    assert.equal(jsonBytesBound(deep), 100_000 * 3 + 2 + 4 * 6);
  });
});
