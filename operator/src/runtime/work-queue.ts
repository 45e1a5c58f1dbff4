import type { BackoffOptions } from './backoff.ts';
import { DEFAULT_BACKOFF, backoffDelay } from './backoff.ts';
import type { Clock } from './clock.ts';
import { systemClock } from './clock.ts';

export interface WorkQueueOptions {
  readonly clock?: Clock;
  readonly backoff?: BackoffOptions;
}

/**
 * A queue of keys in the shape of client-go's workqueue: a key waiting to be processed is held
 * once however often it is added; a key being processed is not handed out again until done(), and
 * if it was added meanwhile it comes back after done(); delayed adds and per-key failure backoff.
 */
export class WorkQueue {
  readonly #clock: Clock;
  readonly #backoff: BackoffOptions;
  readonly #queue: string[] = [];
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #waiting = new Map<string, { at: number; timer: unknown }>();
  readonly #getters: ((key: string | undefined) => void)[] = [];
  #shuttingDown = false;

  constructor({ clock = systemClock, backoff = DEFAULT_BACKOFF }: WorkQueueOptions = {}) {
    this.#clock = clock;
    this.#backoff = backoff;
  }

  /** Keys ready to be handed out (not counting delayed or in-flight ones). */
  get length(): number {
    return this.#queue.length;
  }

  get processingCount(): number {
    return this.#processing.size;
  }

  get waitingCount(): number {
    return this.#waiting.size;
  }

  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (this.#processing.has(key)) return;
    this.#push(key);
  }

  /** Adds the key after delayMs; an earlier pending delay for the same key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.#shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = this.#clock.now() + delayMs;
    const pending = this.#waiting.get(key);
    if (pending !== undefined) {
      if (pending.at <= at) return;
      this.#clock.clearTimer(pending.timer);
    }
    const timer = this.#clock.setTimer(() => {
      this.#waiting.delete(key);
      this.add(key);
    }, delayMs);
    this.#waiting.set(key, { at, timer });
  }

  /** Adds the key after the backoff for its failure count, and counts one more failure. */
  addRateLimited(key: string): number {
    const failures = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, failures);
    const delay = backoffDelay(failures, this.#backoff);
    this.addAfter(key, delay);
    return delay;
  }

  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Clears the key's failure count (after a success). */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  /** The next key to process, or undefined once the queue is shut down. */
  get(): Promise<string | undefined> {
    const key = this.#queue.shift();
    if (key !== undefined) return Promise.resolve(this.#start(key));
    if (this.#shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#getters.push(resolve));
  }

  /** Marks the key processed; if it was added while processing, it is queued again. */
  done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key)) this.#push(key);
  }

  shutDown(): void {
    this.#shuttingDown = true;
    for (const { timer } of this.#waiting.values()) this.#clock.clearTimer(timer);
    this.#waiting.clear();
    for (const getter of this.#getters.splice(0)) getter(undefined);
  }

  #start(key: string): string {
    this.#dirty.delete(key);
    this.#processing.add(key);
    return key;
  }

  #push(key: string): void {
    const getter = this.#getters.shift();
    if (getter !== undefined) getter(this.#start(key));
    else this.#queue.push(key);
  }
}
