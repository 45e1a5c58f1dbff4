import type { Registry } from 'prom-client';
import { runReadinessChecks } from './readiness.ts';
import type { CheckResult, ReadinessCheck } from './readiness.ts';
import { errorMessage } from './with-timeout.ts';

/** A response any HTTP framework can send: status, headers, body. */
export interface HealthResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface HealthHandlers {
  /** 200 as long as the process can answer; touches nothing else. */
  readonly livez: () => HealthResponse;
  /** 200 when every readiness check passes, 503 with each check's result otherwise. */
  readonly readyz: () => Promise<HealthResponse>;
  /** The registry in Prometheus text format. */
  readonly metrics: () => Promise<HealthResponse>;
  /** From now on /readyz answers 503 without running checks (first step of shutdown). */
  readonly markNotReady: (reason: string) => void;
  /** The handler for a GET path, or undefined when the path is not a health endpoint. */
  readonly route: (path: string) => (() => Promise<HealthResponse> | HealthResponse) | undefined;
}

export interface HealthHandlersOptions {
  readonly registry: Registry;
  readonly checks?: readonly ReadinessCheck[];
  /** Timeout of a check that does not set its own. */
  readonly checkTimeoutMs?: number;
}

export type ReadyzBody =
  | { readonly status: 'ok'; readonly checks: readonly CheckResult[] }
  | { readonly status: 'not_ready'; readonly checks: readonly CheckResult[] }
  | { readonly status: 'shutting_down'; readonly reason: string };

const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
} as const;

export function createHealthHandlers({
  registry,
  checks = [],
  checkTimeoutMs = 2_000,
}: HealthHandlersOptions): HealthHandlers {
  let notReadyReason: string | undefined;
  let inFlight: Promise<HealthResponse> | undefined;

  const json = (status: number, body: unknown): HealthResponse => ({
    status,
    headers: JSON_HEADERS,
    body: JSON.stringify(body),
  });

  const evaluate = async (): Promise<HealthResponse> => {
    const report = await runReadinessChecks(checks, checkTimeoutMs);
    if (notReadyReason !== undefined) return shuttingDown(notReadyReason);
    const body: ReadyzBody = { status: report.ready ? 'ok' : 'not_ready', checks: report.checks };
    return json(report.ready ? 200 : 503, body);
  };

  const shuttingDown = (reason: string): HealthResponse => {
    const body: ReadyzBody = { status: 'shutting_down', reason };
    return json(503, body);
  };

  const handlers: HealthHandlers = {
    livez: () => json(200, { status: 'ok' }),

    readyz: () => {
      if (notReadyReason !== undefined) return Promise.resolve(shuttingDown(notReadyReason));
      // Probes that arrive while checks run share their answer instead of piling up.
      inFlight ??= evaluate().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },

    metrics: async () => {
      try {
        return {
          status: 200,
          headers: { 'content-type': registry.contentType, 'cache-control': 'no-store' },
          body: await registry.metrics(),
        };
      } catch (error) {
        return json(500, { status: 'error', error: errorMessage(error) });
      }
    },

    markNotReady: (reason) => {
      notReadyReason ??= reason;
    },

    route: (path) => {
      switch (path) {
        case '/livez':
          return handlers.livez;
        case '/readyz':
          return handlers.readyz;
        case '/metrics':
          return handlers.metrics;
        default:
          return undefined;
      }
    },
  };
  return handlers;
}
