import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { StackError, describeError } from './errors.ts';
import { tail } from './exec.ts';
import { isRunning, type ProcessRecord } from './processes.ts';

export interface WaitOptions {
  component: string;
  what: string;
  timeoutMs: number;
  /** Stop waiting at once, with its log's tail, if this process dies. */
  process?: ProcessRecord;
  fix?: string;
  signal?: AbortSignal;
}

/**
 * Polls `probe` until it resolves, with a short backoff: readiness is always a real check
 * (a query, a request), never a fixed sleep.
 */
export async function waitUntil<T>(probe: () => Promise<T>, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let delay = 50;
  let lastError: unknown;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      return await probe();
    } catch (error) {
      lastError = error;
    }
    if (options.process !== undefined && !(await isRunning(options.process))) {
      throw new StackError(
        options.component,
        `${options.process.name} exited while waiting for ${options.what}; its log (${options.process.log}) ends with:\n${await logTail(options.process.log)}`,
        options.fix ?? `read ${options.process.log}`,
      );
    }
    if (Date.now() > deadline) {
      throw new StackError(
        options.component,
        `${options.what} not reached after ${Math.round(options.timeoutMs / 1000)} s (last error: ${describeError(lastError)})` +
          (options.process === undefined
            ? ''
            : `; log tail:\n${await logTail(options.process.log)}`),
        options.fix ?? 'read the log files in the state directory',
      );
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 500);
  }
}

export async function logTail(file: string, lines = 20): Promise<string> {
  try {
    return tail(await readFile(file, 'utf8'), lines);
  } catch {
    return '(no log)';
  }
}
