import { Worker } from 'node:worker_threads';
import type { Logger } from '@event-pipeline/platform';
import type { PrepareRequest, PrepareSettings } from './prepare-events.ts';
import type { PackedPrepared } from './prepared-transport.ts';

/** What prepare-worker.ts answers to one request. */
export type PrepareReply = { id: number; packed: PackedPrepared } | { id: number; error: string };

const WORKER_FILE = new URL('./prepare-worker.ts', import.meta.url);

/**
 * One worker thread running prepare-worker.ts, and the requests it owes an answer. A thread that
 * dies fails the requests it held (each gets an error, so its client gets a 500, never a 2xx) and
 * is replaced when the next request comes, not at once: a thread that fails as it starts costs
 * one start per request, never a loop of restarts.
 */
export class PrepareThread {
  readonly #settings: PrepareSettings;
  readonly #file: URL;
  readonly #log: Logger | undefined;
  readonly #pending = new Map<
    number,
    { resolve: (packed: PackedPrepared) => void; reject: (error: Error) => void }
  >();
  /** Started with the pool; after an exit, by the next request. */
  #worker: Worker | undefined;
  #next = 0;
  #closing = false;
  #drained: (() => void) | undefined;

  /** `file` is for tests: a worker that misbehaves on purpose. */
  constructor(
    settings: PrepareSettings,
    { logger, file = WORKER_FILE }: PrepareThreadOptions = {},
  ) {
    this.#settings = settings;
    this.#file = file;
    this.#log = logger;
    this.#worker = this.#spawn();
  }

  /** Requests sent and not yet answered. */
  get pending(): number {
    return this.#pending.size;
  }

  run(request: PrepareRequest): Promise<PackedPrepared> {
    if (this.#closing) return Promise.reject(new Error('the prepare thread is stopping'));
    const id = this.#next++;
    // A copy of its own to move to the thread: the body may share memory with other buffers.
    const body = new Uint8Array(request.body);
    const worker = (this.#worker ??= this.#spawn());
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ id, request: { ...request, body } }, [body.buffer]);
    });
  }

  /** Waits for the requests sent so far, then stops the thread. */
  async close(): Promise<void> {
    this.#closing = true;
    if (this.#pending.size > 0) {
      await new Promise<void>((resolve) => (this.#drained = resolve));
    }
    await this.#worker?.terminate();
  }

  #spawn(): Worker {
    const worker = new Worker(this.#file, { workerData: this.#settings });
    worker.on('message', (reply: PrepareReply) => {
      const waiting = this.#pending.get(reply.id);
      if (waiting === undefined) return;
      this.#pending.delete(reply.id);
      if ('error' in reply)
        waiting.reject(new Error(`preparing the events failed: ${reply.error}`));
      else waiting.resolve(reply.packed);
      if (this.#pending.size === 0) this.#drained?.();
    });
    worker.on('error', (error: Error) => {
      this.#log?.error({ err: error }, 'the prepare thread failed');
      this.#failAll(error);
    });
    worker.on('exit', (code) => {
      this.#failAll(new Error(`the prepare thread exited with code ${code}`));
      this.#worker = undefined;
      if (this.#closing) return;
      this.#log?.error({ code }, 'the prepare thread exited: the next request starts another');
    });
    return worker;
  }

  #failAll(error: Error): void {
    for (const { reject } of this.#pending.values()) reject(error);
    this.#pending.clear();
    this.#drained?.();
  }
}

export interface PrepareThreadOptions {
  readonly logger?: Logger;
  readonly file?: URL;
}
