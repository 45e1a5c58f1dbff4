import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { backoffDelay } from './backoff.ts';
import { FakeClock } from './fake-clock.test-support.ts';
import { WorkQueue } from './work-queue.ts';

const backoff = { baseMs: 100, maxMs: 1_000 };

/** get() that must not wait: the key must already be queued. */
async function take(queue: WorkQueue): Promise<string | undefined> {
  const marker = Symbol('pending');
  const result = await Promise.race([queue.get(), Promise.resolve(marker)]);
  if (result === marker) throw new Error('queue had nothing ready');
  return result;
}

describe('backoffDelay', () => {
  it('doubles from the base and stops at the cap', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, backoff)),
      [100, 200, 400, 800, 1_000, 1_000],
    );
    assert.equal(backoffDelay(0, backoff), 0);
  });

  it('is monotonic, never above the cap and finite for any failure count', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), (n) => {
        const delay = backoffDelay(n, backoff);
        return Number.isFinite(delay) && delay <= 1_000 && delay >= backoffDelay(n - 1, backoff);
      }),
    );
  });
});

describe('WorkQueue', () => {
  it('merges identical keys waiting to be processed', async () => {
    const queue = new WorkQueue({ clock: new FakeClock(), backoff });
    queue.add('ns/a');
    queue.add('ns/a');
    queue.add('ns/b');
    queue.add('ns/a');
    assert.equal(queue.length, 2);
    assert.equal(await take(queue), 'ns/a');
    assert.equal(await take(queue), 'ns/b');
    assert.equal(queue.length, 0);
  });

  it('never hands out a key being processed; re-adds it after done when it changed meanwhile', async () => {
    const queue = new WorkQueue({ clock: new FakeClock(), backoff });
    queue.add('ns/a');
    const key = await take(queue);
    queue.add('ns/a');
    queue.add('ns/a');
    assert.equal(queue.length, 0, 'the key is in flight: not queued again yet');
    queue.done(key ?? '');
    assert.equal(queue.length, 1, 'queued once after done');
    assert.equal(await take(queue), 'ns/a');
    queue.done('ns/a');
    assert.equal(queue.length, 0);
  });

  it('hands a key added later to a worker already waiting', async () => {
    const queue = new WorkQueue({ clock: new FakeClock(), backoff });
    const waiting = queue.get();
    queue.add('ns/a');
    assert.equal(await waiting, 'ns/a');
    queue.add('ns/a');
    assert.equal(queue.length, 0, 'in flight for the waiting worker');
  });

  it('delays addAfter and keeps the earliest pending time', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue({ clock, backoff });
    queue.addAfter('ns/a', 500);
    queue.addAfter('ns/a', 2_000);
    queue.addAfter('ns/a', 300);
    assert.equal(clock.pendingTimers, 1);
    clock.advance(299);
    assert.equal(queue.length, 0);
    clock.advance(1);
    assert.equal(queue.length, 1);
    assert.equal(await take(queue), 'ns/a');
  });

  it('backs off failures exponentially per key, capped, and forget() resets', () => {
    const clock = new FakeClock();
    const queue = new WorkQueue({ clock, backoff });
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      delays.push(queue.addRateLimited('ns/a'));
      clock.advance(delays.at(-1) ?? 0);
    }
    assert.deepEqual(delays, [100, 200, 400, 800, 1_000, 1_000]);
    assert.equal(queue.addRateLimited('ns/b'), 100, 'other keys have their own count');
    queue.forget('ns/a');
    assert.equal(queue.failures('ns/a'), 0);
    assert.equal(queue.addRateLimited('ns/a'), 100);
  });

  it('releases waiting workers with undefined on shutdown and drops delayed keys', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue({ clock, backoff });
    const waiting = queue.get();
    queue.addAfter('ns/a', 100);
    queue.shutDown();
    assert.equal(await waiting, undefined);
    assert.equal(clock.pendingTimers, 0);
    queue.add('ns/b');
    assert.equal(await queue.get(), undefined);
  });

  it('never processes one key twice at once under random interleavings (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.constantFrom('add-a', 'add-b', 'get', 'done')), { maxLength: 60 }),
        async (ops) => {
          const queue = new WorkQueue({ clock: new FakeClock(), backoff });
          const inFlight: string[] = [];
          const added = new Set<string>();
          for (const op of ops) {
            if (op === 'add-a' || op === 'add-b') {
              const key = op.slice(4);
              queue.add(key);
              added.add(key);
            } else if (op === 'get' && queue.length > 0) {
              const key = (await take(queue)) ?? '';
              assert.ok(!inFlight.includes(key), `${key} handed out twice`);
              inFlight.push(key);
            } else if (op === 'done' && inFlight.length > 0) {
              queue.done(inFlight.shift() ?? '');
            }
          }
          // Everything added is eventually processed once the workers finish.
          for (const key of inFlight.splice(0)) queue.done(key);
          while (queue.length > 0) {
            const key = (await take(queue)) ?? '';
            added.delete(key);
            queue.done(key);
          }
          assert.ok(queue.length === 0);
        },
      ),
    );
  });
});
