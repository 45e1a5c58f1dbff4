import { availableParallelism } from 'node:os';
import { prepareEvents } from './prepare-events.ts';
import type { Prepared, PrepareRequest, PrepareSettings } from './prepare-events.ts';
import { PrepareThread } from './prepare-thread.ts';
import type { PrepareThreadOptions } from './prepare-thread.ts';
import { unpackPrepared } from './prepared-transport.ts';

/**
 * Bodies smaller than this are prepared on the event loop even when worker threads run: a
 * single event (~0.2 KB) costs less to parse than a round trip to a worker, while a batch of 100
 * (bench/batch-body.ts: 8.5 KB) costs far more.
 */
export const MIN_WORKER_BODY_BYTES = 4 * 1024;

/** Turns request bodies into Kafka messages, on worker threads or inline. */
export interface EventPreparer {
  prepare(request: PrepareRequest): Promise<Prepared>;
  /** Lets queued requests finish, then stops the threads. */
  close(): Promise<void>;
}

/**
 * PREPARE_THREADS=auto: one worker thread where the process may use more than one CPU. One is
 * enough: it takes the parse/validate/encode share (about 40 % of the event loop's work on
 * batches, docs/ingest.md), so a second would wait on the same event loop.
 */
export function resolvePrepareThreads(
  setting: number | 'auto',
  cpus: number = availableParallelism(),
): number {
  if (setting !== 'auto') return setting;
  return cpus >= 2 ? 1 : 0;
}

/** Whether one request's body goes to a worker thread, where there is one. */
export function preparesOnWorker(bodyBytes: number): boolean {
  return bodyBytes >= MIN_WORKER_BODY_BYTES;
}

export function createEventPreparer(
  settings: PrepareSettings,
  threads: number,
  options: PrepareThreadOptions = {},
): EventPreparer {
  if (threads === 0) {
    return {
      prepare: (request) => Promise.resolve(prepareEvents(request, settings)),
      close: () => Promise.resolve(),
    };
  }
  const pool = Array.from({ length: threads }, () => new PrepareThread(settings, options));
  return {
    prepare: async (request) => {
      if (!preparesOnWorker(request.body.length)) {
        return prepareEvents(request, settings);
      }
      return unpackPrepared(await leastBusy(pool).run(request));
    },
    close: async () => {
      await Promise.all(pool.map((thread) => thread.close()));
    },
  };
}

/** The thread with the fewest requests waiting on it. */
function leastBusy(pool: readonly PrepareThread[]): PrepareThread {
  let best = pool[0];
  if (best === undefined) throw new Error('a prepare pool has at least one thread');
  for (const thread of pool) if (thread.pending < best.pending) best = thread;
  return best;
}
