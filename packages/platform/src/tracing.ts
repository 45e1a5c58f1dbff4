import type { EnvSource } from './config.ts';

export interface TracingOptions {
  /** service.name, unless OTEL_SERVICE_NAME says otherwise. */
  readonly serviceName: string;
  /** Decides which signals export; defaults to process.env, which NodeSDK itself also reads. */
  readonly env?: EnvSource;
}

export interface Tracing {
  /** Flushes and stops exporting; safe to call more than once. */
  shutdown(): Promise<void>;
}

export interface TelemetryPlan {
  readonly disabled: boolean;
  /** Whether NodeSDK may set up trace exporters from OTEL_* variables. */
  readonly traces: boolean;
  readonly metrics: boolean;
  readonly logs: boolean;
  /** Set when the SDK should be told the name (OTEL_SERVICE_NAME absent). */
  readonly serviceName?: string;
}

/**
 * Which OpenTelemetry signals to export. NodeSDK defaults every signal to an OTLP exporter on
 * localhost; here nothing exports unless configured, so a process without an OTEL_* setup never
 * touches the network:
 * - traces: OTEL_TRACES_EXPORTER, or an OTLP endpoint (OTEL_EXPORTER_OTLP[_TRACES]_ENDPOINT);
 * - metrics and logs: only OTEL_METRICS_EXPORTER / OTEL_LOGS_EXPORTER (prom-client and pino
 *   already cover them).
 */
export function planTelemetry(env: EnvSource, serviceName: string): TelemetryPlan {
  const set = (name: string) => (env[name]?.trim() ?? '') !== '';
  const plan = {
    disabled: env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true',
    traces:
      set('OTEL_TRACES_EXPORTER') ||
      set('OTEL_EXPORTER_OTLP_ENDPOINT') ||
      set('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'),
    metrics: set('OTEL_METRICS_EXPORTER'),
    logs: set('OTEL_LOGS_EXPORTER'),
  };
  return set('OTEL_SERVICE_NAME') ? plan : { ...plan, serviceName };
}

/**
 * Starts the OpenTelemetry Node SDK configured by the standard OTEL_* variables (see
 * planTelemetry for the defaults). The SDK is imported here, not at module load, so processes
 * that never trace do not pay for it.
 */
export async function startTracing({
  serviceName,
  env = process.env,
}: TracingOptions): Promise<Tracing> {
  const plan = planTelemetry(env, serviceName);
  if (plan.disabled) return { shutdown: () => Promise.resolve() };
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const sdk = new NodeSDK({
    ...(plan.serviceName === undefined ? {} : { serviceName: plan.serviceName }),
    ...(plan.traces ? {} : { spanProcessors: [] }),
    ...(plan.metrics ? {} : { metricReaders: [] }),
    ...(plan.logs ? {} : { logRecordProcessors: [] }),
  });
  sdk.start();
  let stopped: Promise<void> | undefined;
  return { shutdown: () => (stopped ??= sdk.shutdown()) };
}
