import type { Logger } from 'pino';
import type { WorkQueue } from './work-queue.ts';

/** What a reconcile asks for next. */
export interface Action {
  /** Visit the key again after this long (success path). */
  readonly requeueAfterMs?: number;
  /** Requeue with the key's exponential backoff without counting it as an error (e.g. Kafka down). */
  readonly backoff?: boolean;
}

export type ReconcileResult = 'success' | 'error' | 'backoff';

export interface ControllerHooks {
  readonly observe?: (result: ReconcileResult, seconds: number) => void;
  readonly queueDepth?: (depth: number) => void;
}

export interface ControllerOptions {
  readonly queue: WorkQueue;
  readonly reconcile: (key: string) => Promise<Action>;
  /** Every key the informer cache knows, for the periodic resync. */
  readonly keys: () => readonly string[];
  readonly workers: number;
  readonly resyncMs: number;
  readonly logger: Logger;
  readonly hooks?: ControllerHooks;
}

export interface Controller {
  stop(): Promise<void>;
}

/** Runs `workers` loops over the queue and adds every known key each resync period. */
export function startController({
  queue,
  reconcile,
  keys,
  workers,
  resyncMs,
  logger,
  hooks = {},
}: ControllerOptions): Controller {
  const resync = setInterval(() => {
    for (const key of keys()) queue.add(key);
  }, resyncMs);
  resync.unref();

  const work = async (): Promise<void> => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      hooks.queueDepth?.(queue.length);
      const started = performance.now();
      let result: ReconcileResult;
      try {
        const action = await reconcile(key);
        if (action.backoff === true) {
          result = 'backoff';
          queue.addRateLimited(key);
        } else {
          result = 'success';
          queue.forget(key);
          if (action.requeueAfterMs !== undefined) queue.addAfter(key, action.requeueAfterMs);
        }
      } catch (error) {
        result = 'error';
        const delayMs = queue.addRateLimited(key);
        logger.warn({ err: error, key, retryInMs: delayMs }, 'reconcile failed');
      } finally {
        queue.done(key);
      }
      hooks.observe?.(result, (performance.now() - started) / 1000);
    }
  };
  const loops = Array.from({ length: workers }, () => work());
  return {
    stop: async () => {
      clearInterval(resync);
      queue.shutDown();
      await Promise.allSettled(loops);
    },
  };
}
