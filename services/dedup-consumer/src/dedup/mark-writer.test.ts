import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMarkWriter } from './mark-writer.ts';

/** A write that finishes when the test says so. */
function controlledWrites() {
  const started: string[][] = [];
  const finish: (() => void)[] = [];
  const write = (keys: readonly string[]) =>
    new Promise<void>((resolve) => {
      started.push([...keys]);
      finish.push(resolve);
    });
  return { started, finish, write };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('mark writer', () => {
  it('returns before the write finishes, and drain waits for every write', async () => {
    const { started, finish, write } = controlledWrites();
    const marks = createMarkWriter(write, 2);
    await marks.add(['a']);
    await marks.add(['b']);
    assert.deepEqual(started, [['a'], ['b']]);
    let drained = false;
    const draining = marks.drain().then(() => (drained = true));
    await tick();
    assert.equal(drained, false);
    for (const done of finish) done();
    await draining;
    assert.equal(drained, true);
  });

  it('waits for a free slot when maxInFlight writes are running', async () => {
    const { started, finish, write } = controlledWrites();
    const marks = createMarkWriter(write, 2);
    await marks.add(['a']);
    await marks.add(['b']);
    let third = false;
    const adding = marks.add(['c']).then(() => (third = true));
    await tick();
    assert.equal(third, false, 'the third write waits');
    assert.equal(started.length, 2);
    finish[0]?.();
    await adding;
    assert.deepEqual(started, [['a'], ['b'], ['c']]);
    for (const done of finish) done();
    await marks.drain();
  });

  it('skips empty key lists', async () => {
    const { started, write } = controlledWrites();
    const marks = createMarkWriter(write);
    await marks.add([]);
    await marks.drain();
    assert.equal(started.length, 0);
  });
});
