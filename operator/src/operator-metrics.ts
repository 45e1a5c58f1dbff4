import type { Metrics } from '@event-pipeline/platform';

export type OperatorMetrics = ReturnType<typeof createOperatorMetrics>;

/** The operator's series; they carry no `pipeline` label (one operator serves every pipeline). */
export function createOperatorMetrics(metrics: Metrics) {
  return {
    reconciles: metrics.counter({
      name: 'operator_reconciles_total',
      help: 'Reconciles by result (success, error, backoff).',
      labelNames: ['result'] as const,
    }),
    duration: metrics.histogram({
      name: 'operator_reconcile_duration_seconds',
      help: 'Time one reconcile took.',
      labelNames: ['result'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    }),
    depth: metrics.gauge({
      name: 'operator_queue_depth',
      help: 'Keys waiting in the work queue.',
    }),
    kafkaErrors: metrics.counter({
      name: 'operator_kafka_admin_errors_total',
      help: 'Kafka admin operations that failed.',
      labelNames: ['operation'] as const,
    }),
    apiWrites: metrics.counter({
      name: 'operator_api_writes_total',
      help: 'Write requests sent to the Kubernetes API server.',
      labelNames: ['verb', 'kind'] as const,
    }),
  };
}
