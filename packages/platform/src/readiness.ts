import { errorMessage, withTimeout } from './with-timeout.ts';

export interface ReadinessCheck {
  readonly name: string;
  /** Resolves when the dependency is usable; rejects (or outlives its timeout) when not. */
  readonly check: (signal: AbortSignal) => Promise<void>;
  readonly timeoutMs?: number;
}

export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly durationMs: number;
  readonly error?: string;
}

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: readonly CheckResult[];
}

/** Runs every check at once, each bounded by its own timeout. Never rejects. */
export async function runReadinessChecks(
  checks: readonly ReadinessCheck[],
  defaultTimeoutMs: number,
): Promise<ReadinessReport> {
  const results = await Promise.all(
    checks.map(async ({ name, check, timeoutMs = defaultTimeoutMs }): Promise<CheckResult> => {
      const started = performance.now();
      const outcome = await withTimeout(check, timeoutMs);
      const durationMs = Math.round(performance.now() - started);
      switch (outcome.status) {
        case 'ok':
          return { name, ok: true, durationMs };
        case 'failed':
          return { name, ok: false, durationMs, error: errorMessage(outcome.error) };
        case 'timed-out':
          return { name, ok: false, durationMs, error: `timed out after ${timeoutMs}ms` };
      }
    }),
  );
  return { ready: results.every((result) => result.ok), checks: results };
}
