import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_LIMITS } from './config.ts';
import type { Prepared, PrepareRequest } from './prepare-events.ts';
import {
  MIN_WORKER_BODY_BYTES,
  createEventPreparer,
  preparesOnWorker,
  resolvePrepareThreads,
} from './prepare-pool.ts';
import { PrepareThread } from './prepare-thread.ts';
import { unpackPrepared } from './prepared-transport.ts';

const settings = { pipeline: 'shop', limits: DEFAULT_LIMITS };

function batch(events: unknown[]): PrepareRequest {
  return {
    route: '/v1/batch',
    body: Buffer.from(JSON.stringify({ events })),
    receivedAt: '2026-12-03T10:00:00.000Z',
    traceHeaders: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
  };
}

/** The result without its random ingestion ids, which differ from run to run. */
function comparable(prepared: Prepared): unknown {
  if (!prepared.ok) return prepared;
  const strip = (text: string) => text.replaceAll(/"ingestionId":"[^"]+"/g, '"ingestionId":""');
  return {
    ...prepared,
    responseJson: strip(prepared.responseJson),
    messages: prepared.messages.map((message) => ({
      ...message,
      value: strip(message.value.toString()),
    })),
  };
}

describe('the prepare pool', () => {
  it('runs one worker thread where there are two CPUs or more, unless told a number', () => {
    assert.equal(resolvePrepareThreads('auto', 1), 0);
    assert.equal(resolvePrepareThreads('auto', 2), 1);
    assert.equal(resolvePrepareThreads('auto', 64), 1);
    assert.equal(resolvePrepareThreads(0, 8), 0);
    assert.equal(resolvePrepareThreads(3, 1), 3);
  });

  it('sends only bodies of at least MIN_WORKER_BODY_BYTES to a worker', () => {
    assert.equal(preparesOnWorker(MIN_WORKER_BODY_BYTES - 1), false);
    assert.equal(preparesOnWorker(MIN_WORKER_BODY_BYTES), true);
  });

  it('gives on a worker thread what it gives on the event loop, refusals included', async () => {
    const events = Array.from({ length: 120 }, (_, i) =>
      i % 7 === 3
        ? { type: '', userId: `u-${i}`, properties: { pad: 'x'.repeat(300) } }
        : { id: `e-${i}`, type: 'page_view', userId: `u-${i % 5}`, properties: { i, s: 'é€' } },
    );
    const requests = [
      batch(events),
      batch(events.filter((_, i) => i % 7 === 3)),
      { ...batch(events), body: Buffer.from(`{"events": [${'1,'.repeat(3000)}`) },
    ];
    for (const request of requests) assert.ok(request.body.length >= MIN_WORKER_BODY_BYTES);
    const inline = createEventPreparer(settings, 0);
    const pooled = createEventPreparer(settings, 1);
    try {
      for (const request of requests) {
        const [onLoop, onWorker] = await Promise.all([
          inline.prepare(request),
          pooled.prepare(request),
        ]);
        assert.deepEqual(comparable(onWorker), comparable(onLoop));
      }
      const first = await pooled.prepare(requests[0] ?? batch([]));
      assert.ok(first.ok);
      assert.equal(first.messages.length, 120 - 17);
      // The caller's body is untouched: the worker got a copy.
      assert.ok((requests[0]?.body.length ?? 0) > 0);
    } finally {
      await Promise.all([inline.close(), pooled.close()]);
    }
  });

  it('fails the requests a dying thread held, then answers the next on a new thread', async () => {
    const thread = new PrepareThread(settings, {
      file: new URL('../test/fixtures/dying-prepare-worker.ts', import.meta.url),
    });
    const events = (type: string) =>
      batch(Array.from({ length: 30 }, (_, i) => ({ type, id: `d-${i}`, properties: { i } })));
    try {
      await assert.rejects(thread.run(events('die')), /the prepare thread exited with code 7/);
      assert.equal(thread.pending, 0);
      const next = unpackPrepared(await thread.run(events('page_view')));
      assert.ok(next.ok);
      assert.equal(next.messages.length, 30);
    } finally {
      await thread.close();
    }
  });

  it('starts a thread that failed at start again only for the next request, not in a loop', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'prepare-starts-'));
    const starts = path.join(dir, 'starts');
    process.env.PREPARE_TEST_STARTS = starts;
    const thread = new PrepareThread(settings, {
      file: new URL('../test/fixtures/failing-prepare-worker.ts', import.meta.url),
    });
    const startsSoFar = async () =>
      (await readFile(starts, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
    try {
      await assert.rejects(thread.run(batch([{ type: 'a' }])), /cannot start/);
      await sleep(500);
      assert.equal(await startsSoFar(), 1);
      await assert.rejects(thread.run(batch([{ type: 'b' }])), /cannot start/);
      await sleep(500);
      assert.equal(await startsSoFar(), 2);
    } finally {
      await thread.close();
      delete process.env.PREPARE_TEST_STARTS;
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers the requests already sent when it closes, and refuses new ones', async () => {
    const thread = new PrepareThread(settings);
    const sent = [thread.run(batch([{ type: 'a' }])), thread.run(batch([{ type: 'b' }]))];
    const closing = thread.close();
    await assert.rejects(thread.run(batch([{ type: 'c' }])), /stopping/);
    const answers = (await Promise.all(sent)).map(unpackPrepared);
    await closing;
    assert.deepEqual(
      answers.map((answer) => answer.ok && answer.messages.length),
      [1, 1],
    );
  });
});
