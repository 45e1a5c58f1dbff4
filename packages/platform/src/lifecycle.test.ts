import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { createLifecycle } from './lifecycle.ts';
import type { SignalSource } from './lifecycle.ts';
import { createLogger } from './logging.ts';

function capturedLogger() {
  const lines: { level: string; msg: string; step?: string }[] = [];
  const logger = createLogger({
    name: 'test',
    destination: {
      write: (line: string) => lines.push(JSON.parse(line) as (typeof lines)[number]),
    },
  });
  return { logger, lines };
}

class FakeProcess extends EventEmitter implements SignalSource {
  readonly exits: number[] = [];
  exit(code: number): void {
    this.exits.push(code);
  }
}

describe('createLifecycle', () => {
  it('runs phases in order whatever the registration order', async () => {
    const { logger } = capturedLogger();
    const lifecycle = createLifecycle({ logger, timeoutMs: 1_000 });
    const order: string[] = [];
    const step = (name: string) => () => {
      order.push(name);
    };
    lifecycle.onShutdown('close pool', step('close pool'));
    lifecycle.onShutdown('commit offsets', step('commit offsets'), { phase: 'drain' });
    lifecycle.onShutdown('stop consumer', step('stop consumer'), { phase: 'stop-intake' });
    lifecycle.onShutdown('mark not ready', step('mark not ready'), { phase: 'not-ready' });
    lifecycle.onShutdown('wait for requests', step('wait for requests'), { phase: 'drain' });
    const report = await lifecycle.shutdown('test');
    assert.deepEqual(order, [
      'mark not ready',
      'stop consumer',
      'commit offsets',
      'wait for requests',
      'close pool',
    ]);
    assert.equal(report.ok, true);
    assert.deepEqual(
      report.steps.map((s) => [s.name, s.phase, s.outcome]),
      [
        ['mark not ready', 'not-ready', 'ok'],
        ['stop consumer', 'stop-intake', 'ok'],
        ['commit offsets', 'drain', 'ok'],
        ['wait for requests', 'drain', 'ok'],
        ['close pool', 'disconnect', 'ok'],
      ],
    );
  });

  it('waits for each drain step before the next, but disconnects everything at once', async () => {
    const { logger } = capturedLogger();
    const lifecycle = createLifecycle({ logger, timeoutMs: 2_000 });
    const events: string[] = [];
    const slow = (name: string) => async () => {
      events.push(`${name} start`);
      await sleep(30);
      events.push(`${name} end`);
    };
    lifecycle.onShutdown('drain a', slow('drain a'), { phase: 'drain' });
    lifecycle.onShutdown('drain b', slow('drain b'), { phase: 'drain' });
    lifecycle.onShutdown('kafka', slow('kafka'));
    lifecycle.onShutdown('redis', slow('redis'));
    await lifecycle.shutdown('test');
    assert.deepEqual(events.slice(0, 4), [
      'drain a start',
      'drain a end',
      'drain b start',
      'drain b end',
    ]);
    assert.deepEqual(events.slice(4, 6), ['kafka start', 'redis start']);
  });

  it('logs a failing step and still runs the rest', async () => {
    const { logger, lines } = capturedLogger();
    const lifecycle = createLifecycle({ logger, timeoutMs: 1_000 });
    let poolClosed = false;
    lifecycle.onShutdown(
      'drain',
      () => {
        throw new Error('commit failed');
      },
      { phase: 'drain' },
    );
    lifecycle.onShutdown('kafka', () => Promise.reject(new Error('broker gone')));
    lifecycle.onShutdown('pool', () => {
      poolClosed = true;
    });
    const report = await lifecycle.shutdown('test');
    assert.equal(poolClosed, true);
    assert.equal(report.ok, false);
    assert.deepEqual(
      report.steps.map((s) => [s.name, s.outcome, s.error]),
      [
        ['drain', 'failed', 'commit failed'],
        ['kafka', 'failed', 'broker gone'],
        ['pool', 'ok', undefined],
      ],
    );
    assert.deepEqual(
      lines.filter((line) => line.level === 'error').map((line) => line.step),
      ['drain', 'kafka'],
    );
  });

  it('bounds a hanging step by its timeout and aborts its signal', async () => {
    const { logger } = capturedLogger();
    const lifecycle = createLifecycle({ logger, timeoutMs: 5_000 });
    let aborted = false;
    lifecycle.onShutdown(
      'hang',
      (signal) =>
        new Promise<void>(() => {
          signal.addEventListener('abort', () => (aborted = true));
        }),
      { phase: 'drain', timeoutMs: 20 },
    );
    lifecycle.onShutdown('after', () => undefined);
    const started = performance.now();
    const report = await lifecycle.shutdown('test');
    assert.ok(performance.now() - started < 1_000);
    assert.equal(aborted, true);
    assert.deepEqual(
      report.steps.map((s) => [s.name, s.outcome]),
      [
        ['hang', 'timed-out'],
        ['after', 'ok'],
      ],
    );
  });

  it('finishes within the overall budget, skipping what no longer fits', async () => {
    const { logger } = capturedLogger();
    const lifecycle = createLifecycle({ logger, timeoutMs: 50 });
    lifecycle.onShutdown('slow drain', () => sleep(1_000), { phase: 'drain' });
    lifecycle.onShutdown('pool', () => sleep(1_000));
    const started = performance.now();
    const report = await lifecycle.shutdown('test');
    assert.ok(performance.now() - started < 500, `took ${performance.now() - started}ms`);
    const [drain, pool] = report.steps;
    assert.equal(drain?.outcome, 'timed-out');
    // Skipped, or at most given the millisecond of clock skew between timers and performance.now.
    assert.ok(pool?.outcome === 'skipped' || pool?.outcome === 'timed-out', pool?.outcome);
    assert.equal(report.ok, false);
  });

  it('runs once: a second shutdown returns the same promise', async () => {
    const { logger } = capturedLogger();
    const lifecycle = createLifecycle({ logger, timeoutMs: 1_000 });
    let runs = 0;
    lifecycle.onShutdown('count', () => {
      runs += 1;
    });
    assert.equal(lifecycle.shuttingDown, false);
    const first = lifecycle.shutdown('first');
    const second = lifecycle.shutdown('second');
    assert.equal(first, second);
    assert.equal(lifecycle.shuttingDown, true);
    assert.equal((await second).reason, 'first');
    assert.equal(runs, 1);
  });
});

describe('installSignalHandlers', () => {
  it('shuts down on SIGTERM, then exits 0', async () => {
    const { logger } = capturedLogger();
    const lifecycle = createLifecycle({ logger, timeoutMs: 1_000 });
    const proc = new FakeProcess();
    const stepped: string[] = [];
    lifecycle.onShutdown('close', () => {
      stepped.push('close');
    });
    lifecycle.installSignalHandlers(proc);
    proc.emit('SIGTERM', 'SIGTERM');
    const report = await lifecycle.shutdown('ignored');
    await sleep(0);
    assert.equal(report.reason, 'received SIGTERM');
    assert.deepEqual(stepped, ['close']);
    assert.deepEqual(proc.exits, [0]);
  });

  it('exits 1 when a step did not succeed', async () => {
    const { logger } = capturedLogger();
    const lifecycle = createLifecycle({ logger, timeoutMs: 1_000 });
    const proc = new FakeProcess();
    lifecycle.onShutdown('close', () => Promise.reject(new Error('nope')));
    lifecycle.installSignalHandlers(proc);
    proc.emit('SIGINT', 'SIGINT');
    await lifecycle.shutdown('ignored');
    await sleep(0);
    assert.deepEqual(proc.exits, [1]);
  });

  it('exits 1 at once on a second signal', async () => {
    const { logger } = capturedLogger();
    const lifecycle = createLifecycle({ logger, timeoutMs: 1_000 });
    const proc = new FakeProcess();
    lifecycle.onShutdown('slow', () => sleep(50));
    lifecycle.installSignalHandlers(proc);
    proc.emit('SIGINT', 'SIGINT');
    proc.emit('SIGINT', 'SIGINT');
    assert.deepEqual(proc.exits, [1]);
    await lifecycle.shutdown('ignored');
  });

  it('stops listening once uninstalled', () => {
    const { logger } = capturedLogger();
    const lifecycle = createLifecycle({ logger, timeoutMs: 1_000 });
    const proc = new FakeProcess();
    const uninstall = lifecycle.installSignalHandlers(proc);
    assert.equal(proc.listenerCount('SIGTERM'), 1);
    uninstall();
    assert.equal(proc.listenerCount('SIGTERM'), 0);
    assert.equal(proc.listenerCount('SIGINT'), 0);
    assert.equal(lifecycle.shuttingDown, false);
  });

  it('accepts the real process object', () => {
    const { logger } = capturedLogger();
    const before = process.listenerCount('SIGTERM');
    const uninstall = createLifecycle({ logger, timeoutMs: 1_000 }).installSignalHandlers(process);
    assert.equal(process.listenerCount('SIGTERM'), before + 1);
    uninstall();
    assert.equal(process.listenerCount('SIGTERM'), before);
  });
});
