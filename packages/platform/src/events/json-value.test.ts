import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { findJsonObjectProblem, isJsonObjectWithin } from './json-value.ts';

const agree = (value: unknown, maxDepth: number) =>
  assert.equal(
    isJsonObjectWithin(value, maxDepth),
    findJsonObjectProblem(value, maxDepth) === undefined,
    `disagree on ${inspect(value, { depth: 8 }).slice(0, 300)} at depth ${maxDepth}`,
  );

/** Values with the usual suspects mixed in: bad text, bad numbers, non-JSON objects, __proto__. */
const suspect = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom('ok', 'nul\u0000', '\ud800lone', Number.NaN, Infinity, 1.5, null, true),
    fc.constantFrom(undefined, 1n, new Date(0), new Map(), () => 1),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom('a', 'b', '__proto__', 'k\u0000', '\udc00'), tie('value'), {
      maxKeys: 4,
    }),
    fc.jsonValue({ maxDepth: 3 }),
  ),
}));

describe('isJsonObjectWithin', () => {
  it('agrees with findJsonObjectProblem on JSON and on everything that is not', () => {
    fc.assert(
      fc.property(suspect.value, fc.integer({ min: 1, max: 6 }), (value, maxDepth) => {
        agree(value, maxDepth);
        agree({ nested: value }, maxDepth);
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees on the edge cases by hand', () => {
    // Exactly `levels` levels of objects and arrays, alternating below the top.
    const deep = (levels: number): unknown =>
      levels === 1 ? {} : { a: levels === 2 ? {} : [deep(levels - 2)] };
    for (const value of [
      {},
      JSON.parse('{"__proto__": 1}'),
      Object.create(null) as unknown,
      // eslint-disable-next-line no-sparse-arrays -- a hole is undefined: not JSON
      { a: [1, , 3] },
      { a: new Date(0) },
      [],
      'text',
      deep(4),
      deep(5),
    ]) {
      for (const maxDepth of [1, 3, 4, 5, 32]) agree(value, maxDepth);
    }
    assert.equal(isJsonObjectWithin(deep(4), 4), true);
    assert.equal(isJsonObjectWithin(deep(5), 4), false);
  });
});
