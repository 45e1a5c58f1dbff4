import type { Logger } from 'pino';
import { errorMessage, withTimeout } from './with-timeout.ts';

/**
 * Shutdown runs in phases, in this order:
 * - not-ready: /readyz turns 503 so load balancers and Kafka rebalances stop routing work here;
 * - stop-intake: stop accepting requests / fetching messages;
 * - drain: finish in-flight work (answer requests, commit rows then offsets);
 * - disconnect: close clients, all at once (allSettled).
 * Steps within the first three phases run one after another in registration order.
 */
export const SHUTDOWN_PHASES = ['not-ready', 'stop-intake', 'drain', 'disconnect'] as const;
export type ShutdownPhase = (typeof SHUTDOWN_PHASES)[number];

export type ShutdownStep = (signal: AbortSignal) => Promise<void> | void;

export interface ShutdownStepOptions {
  /** Defaults to 'disconnect', where most steps (closing clients) belong. */
  readonly phase?: ShutdownPhase;
  /** The step's own bound; never more than what is left of the overall budget. */
  readonly timeoutMs?: number;
}

export interface StepReport {
  readonly name: string;
  readonly phase: ShutdownPhase;
  readonly outcome: 'ok' | 'failed' | 'timed-out' | 'skipped';
  readonly durationMs: number;
  readonly error?: string;
}

export interface ShutdownReport {
  readonly reason: string;
  /** False when any step failed, timed out or was skipped for lack of time. */
  readonly ok: boolean;
  readonly durationMs: number;
  readonly steps: readonly StepReport[];
}

/** The part of `process` signal handling needs; a fake in tests. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  exit(code: number): void;
}

export interface Lifecycle {
  onShutdown(name: string, step: ShutdownStep, options?: ShutdownStepOptions): void;
  /** Runs every step once; later calls return the same promise. Never rejects. */
  shutdown(reason: string): Promise<ShutdownReport>;
  readonly shuttingDown: boolean;
  /**
   * On the first SIGTERM/SIGINT: shutdown, then exit 0 (1 if a step did not succeed). A second
   * signal exits 1 at once. Returns a function that removes the handlers.
   */
  installSignalHandlers(source: SignalSource, signals?: readonly NodeJS.Signals[]): () => void;
}

export interface LifecycleOptions {
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Budget for the whole shutdown; keep it below the pod's terminationGracePeriodSeconds. */
  readonly timeoutMs: number;
}

interface RegisteredStep {
  readonly name: string;
  readonly step: ShutdownStep;
  readonly phase: ShutdownPhase;
  readonly timeoutMs: number | undefined;
}

export function createLifecycle({ logger, timeoutMs }: LifecycleOptions): Lifecycle {
  const steps: RegisteredStep[] = [];
  let running: Promise<ShutdownReport> | undefined;

  const run = async (reason: string): Promise<ShutdownReport> => {
    const started = performance.now();
    const deadline = started + timeoutMs;
    logger.info({ reason, timeoutMs }, 'shutdown started');
    const reports: StepReport[] = [];
    for (const phase of SHUTDOWN_PHASES) {
      const inPhase = steps.filter((step) => step.phase === phase);
      if (phase === 'disconnect') {
        reports.push(...(await Promise.all(inPhase.map((step) => runStep(step, deadline)))));
      } else {
        for (const step of inPhase) reports.push(await runStep(step, deadline));
      }
    }
    const report: ShutdownReport = {
      reason,
      ok: reports.every((step) => step.outcome === 'ok'),
      durationMs: Math.round(performance.now() - started),
      steps: reports,
    };
    logger.info({ ok: report.ok, durationMs: report.durationMs }, 'shutdown finished');
    return report;
  };

  const runStep = async (registered: RegisteredStep, deadline: number): Promise<StepReport> => {
    const { name, phase, step } = registered;
    const started = performance.now();
    const left = Math.floor(deadline - started);
    const base = { name, phase };
    if (left <= 0) {
      logger.warn({ step: name, phase }, 'shutdown step skipped: no time left');
      return { ...base, outcome: 'skipped', durationMs: 0 };
    }
    const bound = Math.min(registered.timeoutMs ?? left, left);
    const outcome = await withTimeout(step, bound);
    const durationMs = Math.round(performance.now() - started);
    switch (outcome.status) {
      case 'ok':
        logger.info({ step: name, phase, durationMs }, 'shutdown step done');
        return { ...base, outcome: 'ok', durationMs };
      case 'failed':
        logger.error({ step: name, phase, durationMs, err: outcome.error }, 'shutdown step failed');
        return { ...base, outcome: 'failed', durationMs, error: errorMessage(outcome.error) };
      case 'timed-out':
        logger.error({ step: name, phase, durationMs }, `shutdown step timed out after ${bound}ms`);
        return { ...base, outcome: 'timed-out', durationMs, error: `timed out after ${bound}ms` };
    }
  };

  const lifecycle: Lifecycle = {
    onShutdown: (name, step, { phase = 'disconnect', timeoutMs: stepTimeoutMs } = {}) => {
      if (running !== undefined) {
        logger.warn({ step: name, phase }, 'shutdown step registered after shutdown began');
      }
      steps.push({ name, step, phase, timeoutMs: stepTimeoutMs });
    },

    shutdown: (reason) => (running ??= run(reason)),

    get shuttingDown() {
      return running !== undefined;
    },

    installSignalHandlers: (source, signals = ['SIGTERM', 'SIGINT']) => {
      let received = 0;
      const onSignal = (signal: NodeJS.Signals) => {
        received += 1;
        if (received > 1) {
          logger.warn({ signal }, 'second signal during shutdown: exiting now');
          source.exit(1);
          return;
        }
        void lifecycle.shutdown(`received ${signal}`).then((report) => {
          source.exit(report.ok ? 0 : 1);
        });
      };
      for (const signal of signals) source.on(signal, onSignal);
      return () => {
        for (const signal of signals) source.off(signal, onSignal);
      };
    },
  };
  return lifecycle;
}
