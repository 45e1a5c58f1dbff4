export type Outcome<T> =
  | { readonly status: 'ok'; readonly value: T }
  | { readonly status: 'failed'; readonly error: unknown }
  | { readonly status: 'timed-out' };

/**
 * Runs `fn` and settles within `timeoutMs`: never rejects, never waits longer. On timeout the
 * signal passed to `fn` is aborted so the work can stop; its late result is ignored.
 */
export async function withTimeout<T>(
  fn: (signal: AbortSignal) => Promise<T> | T,
  timeoutMs: number,
): Promise<Outcome<T>> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<Outcome<T>>((resolve) => {
    timer = setTimeout(
      () => {
        controller.abort(new Error(`timed out after ${timeoutMs}ms`));
        resolve({ status: 'timed-out' });
      },
      Math.max(0, timeoutMs),
    );
  });
  const work = (async (): Promise<Outcome<T>> => {
    try {
      return { status: 'ok', value: await fn(controller.signal) };
    } catch (error) {
      return { status: 'failed', error };
    }
  })();
  try {
    return await Promise.race([work, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
