import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contains } from './contains.ts';

describe('contains', () => {
  it('ignores fields the server added', () => {
    assert.ok(contains({ a: 1, b: { c: 2, d: 3 }, status: {} }, { a: 1, b: { c: 2 } }));
  });
  it('sees a changed or missing field', () => {
    assert.ok(!contains({ a: 1 }, { a: 2 }));
    assert.ok(!contains({ b: {} }, { b: { c: 1 } }));
    assert.ok(!contains(undefined, { a: 1 }));
  });
  it('compares lists element by element and by length', () => {
    assert.ok(contains([{ n: 'a', x: 1 }], [{ n: 'a' }]));
    assert.ok(!contains([{ n: 'a' }, { n: 'b' }], [{ n: 'a' }]));
    assert.ok(!contains([{ n: 'b' }], [{ n: 'a' }]));
  });

  it('treats quantities the API server canonicalized as equal', () => {
    assert.ok(contains({ v: '1k' }, { v: '1000' }));
    assert.ok(contains({ cpu: '500m' }, { cpu: '0.5' }));
    assert.ok(contains({ m: '1Gi' }, { m: '1024Mi' }));
    assert.ok(!contains({ v: '1k' }, { v: '1001' }));
    assert.ok(!contains({ name: 'abc' }, { name: 'abd' }));
  });
});
