/**
 * Node's process warnings, as structured log lines instead of raw text on stderr (which breaks a
 * JSON log pipeline), minus the ones known to be harmless.
 */

/** Where warnings go: a pino logger, or anything with the same `warn(fields, message)`. */
export interface WarningLog {
  warn(fields: object, message: string): void;
}

/** Only what the listener needs of `process`; a fake in tests. */
export interface WarningSource {
  on(event: 'warning', listener: (warning: Error) => void): unknown;
  off(event: 'warning', listener: (warning: Error) => void): unknown;
  listeners(event: 'warning'): ((warning: Error) => void)[];
}

/**
 * kafkajs 2.2.4 schedules its request queue check with `throttledUntil - Date.now()`, a large
 * negative number while no broker throttles; Node 24 warns and uses 1 ms, which is what kafkajs
 * meant (kafkajs issue #1751, open upstream). Nothing to act on, so it is dropped.
 */
export function isKnownHarmlessWarning(warning: Error): boolean {
  return (
    warning.name === 'TimeoutNegativeWarning' &&
    (warning.stack ?? '').includes('kafkajs/src/network/requestQueue')
  );
}

/**
 * Replaces Node's default warning printer: every other warning is logged at warn with its name,
 * code and message. Returns a function that puts the previous listeners back.
 */
export function logProcessWarnings(
  logger: WarningLog,
  source: WarningSource = process,
): () => void {
  const previous = source.listeners('warning');
  for (const listener of previous) source.off('warning', listener);
  const onWarning = (warning: Error) => {
    if (isKnownHarmlessWarning(warning)) return;
    const { code } = warning as Error & { code?: unknown };
    logger.warn(
      { warning: { name: warning.name, ...(typeof code === 'string' ? { code } : {}) } },
      `process warning: ${warning.message}`,
    );
  };
  source.on('warning', onWarning);
  return () => {
    source.off('warning', onWarning);
    for (const listener of previous) source.on('warning', listener);
  };
}
