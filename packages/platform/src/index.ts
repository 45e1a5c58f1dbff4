export { ConfigError, isSecretName, parseConfig, showableValue } from './config.ts';
export type { ConfigProblem, EnvSource } from './config.ts';
export { env } from './env.ts';
export type { IntOptions, LogLevelName, PortOptions } from './env.ts';
export {
  UnitParseError,
  formatByteSize,
  formatDuration,
  parseByteSize,
  parseDuration,
} from './units.ts';

export { REDACTED, REDACT_PATHS, createLogger } from './logging.ts';
export type { Level, LevelWithSilent, Logger, LoggerOptions } from './logging.ts';

export { DEFAULT_METRIC_PREFIX, createMetrics } from './metrics.ts';
export type {
  Counter,
  Gauge,
  Histogram,
  MetricOptions,
  Metrics,
  MetricsOptions,
  Registry,
} from './metrics.ts';
export { runReadinessChecks } from './readiness.ts';
export type { CheckResult, ReadinessCheck, ReadinessReport } from './readiness.ts';
export { createHealthHandlers } from './health.ts';
export type {
  HealthHandlers,
  HealthHandlersOptions,
  HealthResponse,
  ReadyzBody,
} from './health.ts';
export { startHealthServer } from './health-server.ts';
export type { HealthServer, HealthServerOptions } from './health-server.ts';

export { planTelemetry, startTracing } from './tracing.ts';
export type { TelemetryPlan, Tracing, TracingOptions } from './tracing.ts';
export { recordSpanFailure } from './span-failure.ts';
export { extractTraceContext, injectTraceHeaders } from './trace-headers.ts';
export type { KafkaHeaderValue, KafkaHeaders } from './trace-headers.ts';

export { SHUTDOWN_PHASES, createLifecycle } from './lifecycle.ts';
export type {
  Lifecycle,
  LifecycleOptions,
  ShutdownPhase,
  ShutdownReport,
  ShutdownStep,
  ShutdownStepOptions,
  SignalSource,
  StepReport,
} from './lifecycle.ts';
export { withTimeout } from './with-timeout.ts';
export type { Outcome } from './with-timeout.ts';
export { isKnownHarmlessWarning, logProcessWarnings } from './process-warnings.ts';
export type { WarningLog, WarningSource } from './process-warnings.ts';

export {
  CLIENT_EVENT_FIELDS,
  EVENT_SCHEMA_VERSION,
  MAX_JSON_DEPTH,
  clientEventSchema,
  storedEventSchema,
} from './events/event-schema.ts';
export type { ClientEvent, StoredEvent } from './events/event-schema.ts';
export { canonicalJson } from './events/canonical-json.ts';
export { correctClockSkew } from './events/clock-skew.ts';
export type { ClockReadings } from './events/clock-skew.ts';
export { dedupKeyOf } from './events/dedup-key.ts';
export { enrichEvent } from './events/enrich-event.ts';
export type { Receipt } from './events/enrich-event.ts';
export { findJsonObjectProblem, isStorableText } from './events/json-value.ts';
export type { JsonObject, JsonProblem, JsonValue } from './events/json-value.ts';
export * from './kafka/index.ts';
