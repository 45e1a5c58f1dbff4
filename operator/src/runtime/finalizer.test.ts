import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { finalizerStep } from './finalizer.ts';

describe('finalizerStep', () => {
  const object = (finalizers: string[], deleting: boolean) => ({
    metadata: {
      name: 'a',
      finalizers,
      ...(deleting ? { deletionTimestamp: new Date(0) } : {}),
    },
  });
  it('adds the finalizer before anything else', () => {
    assert.equal(finalizerStep(object([], false), 'f'), 'add-finalizer');
    assert.equal(finalizerStep(object(['other'], false), 'f'), 'add-finalizer');
  });
  it('applies when the finalizer is present', () => {
    assert.equal(finalizerStep(object(['f'], false), 'f'), 'apply');
  });
  it('cleans up on deletion while the finalizer is present, then is done', () => {
    assert.equal(finalizerStep(object(['f', 'other'], true), 'f'), 'cleanup');
    assert.equal(finalizerStep(object(['other'], true), 'f'), 'gone');
  });
});
