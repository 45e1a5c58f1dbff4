import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { laneOf, splitByLane } from './producer-lanes.ts';

const message = (key: string, n: number) => ({
  key,
  value: Buffer.from(String(n)),
  headers: {},
});

describe('producer lanes', () => {
  it('puts every key in a lane in range, the same lane every time', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 64 }), (key, lanes) => {
        const lane = laneOf(key, lanes);
        assert.ok(Number.isInteger(lane) && lane >= 0 && lane < lanes);
        assert.equal(laneOf(key, lanes), lane);
      }),
    );
  });

  it('uses one lane when there is one, and spreads many keys over all lanes', () => {
    assert.equal(laneOf('anything', 1), 0);
    const used = new Set(Array.from({ length: 200 }, (_, i) => laneOf(`user-${i}`, 4)));
    assert.deepEqual([...used].sort(), [0, 1, 2, 3]);
  });

  it('splits a send by lane without losing, duplicating or reordering messages', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'b', 'c', 'user-1', 'user-2', ''), { maxLength: 80 }),
        fc.integer({ min: 1, max: 8 }),
        (keys, lanes) => {
          const messages = keys.map((key, n) => message(key, n));
          const groups = splitByLane(messages, lanes);
          const flat = [...groups.values()].flat();
          assert.equal(flat.length, messages.length);
          for (const [lane, group] of groups) {
            assert.ok(group.every((m) => laneOf(m.key, lanes) === lane));
            const order = group.map((m) => Number(m.value.toString()));
            assert.deepEqual(
              order,
              [...order].sort((x, y) => x - y),
            );
          }
        },
      ),
    );
  });
});
