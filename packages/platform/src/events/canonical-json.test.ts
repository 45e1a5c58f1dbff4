import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { reverseKeys } from './arbitraries.test-support.ts';
import { canonicalJson } from './canonical-json.ts';

describe('canonicalJson', () => {
  it('sorts keys at every level and writes no whitespace', () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' } }),
      '{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}',
    );
  });

  it('drops undefined properties and writes undefined array items as null', () => {
    assert.equal(canonicalJson({ a: undefined, b: [undefined, 1] }), '{"b":[null,1]}');
  });

  it('orders keys by UTF-16 code units as RFC 8785 does', () => {
    assert.equal(
      canonicalJson({ é: 1, z: 2, Z: 3, '1': 4, '\u{1F600}': 5, '\uFFFF': 6 }),
      '{"1":4,"Z":3,"z":2,"é":1,"\u{1F600}":5,"\uFFFF":6}',
    );
  });

  it('is independent of key order', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'grapheme' }), (value) => {
        assert.equal(canonicalJson(reverseKeys(value)), canonicalJson(value));
      }),
    );
  });

  it('parses back to the same value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'binary' }), (value) => {
        // JSON itself has one zero: -0 is written as 0, as JSON.stringify does.
        assert.deepEqual(JSON.parse(canonicalJson(value)), JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  it('writes what the plain recursive definition writes, so dedup keys never change with a rewrite', () => {
    // The obvious definition, kept here as the oracle: the function is tuned for speed (ingest
    // runs it per event), and any byte it wrote differently would change events' dedup keys.
    const reference = (value: unknown): string => {
      if (Array.isArray(value)) return `[${value.map((item) => reference(item)).join(',')}]`;
      if (typeof value === 'object' && value !== null) {
        return `{${Object.entries(value)
          .filter(([, item]) => item !== undefined)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([key, item]) => `${JSON.stringify(key)}:${reference(item)}`)
          .join(',')}}`;
      }
      return JSON.stringify(value);
    };
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'binary' }), (value) => {
        assert.equal(canonicalJson(value), reference(value));
      }),
      { numRuns: 500 },
    );
  });

  it('writes the same bytes when the keys already come sorted (the JSON.stringify path)', () => {
    const sortKeys = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(sortKeys);
      if (typeof value !== 'object' || value === null) return value;
      // fromEntries defines own properties: an assignment of "__proto__" (a key fast-check
      // generates) would set the prototype instead.
      return Object.fromEntries(
        Object.keys(value)
          .sort()
          .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
      );
    };
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'binary' }), (value) => {
        assert.equal(canonicalJson(sortKeys(value)), canonicalJson(value));
      }),
      { numRuns: 500 },
    );
    // Integer-like keys: Object.keys puts them first in numeric order ("9" before "10"), which
    // is not code-unit order, so these must not be written as JSON.stringify takes them.
    assert.equal(
      canonicalJson({ '9': 1, '10': 2, a: { '2': 0, '1': 0 } }),
      '{"10":2,"9":1,"a":{"1":0,"2":0}}',
    );
    assert.equal(
      canonicalJson({ a: undefined, b: [undefined, { d: 1, c: 2 }] }),
      '{"b":[null,{"c":2,"d":1}]}',
    );
    assert.equal(canonicalJson(new Date(0)), '{}');
    // JSON.parse makes "__proto__" an own key; both paths must write it.
    assert.equal(canonicalJson(JSON.parse('{"":{"__proto__":[]}}')), '{"":{"__proto__":[]}}');
    assert.equal(
      canonicalJson(JSON.parse('{"b":{"__proto__":1},"a":2}')),
      '{"a":2,"b":{"__proto__":1}}',
    );
  });

  it('refuses values JSON cannot represent', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, 1n, () => 1, Symbol('s')]) {
      assert.throws(() => canonicalJson({ bad }), TypeError);
    }
  });
});
