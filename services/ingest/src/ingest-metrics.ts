import type { Counter, Gauge, Histogram, Metrics } from '@event-pipeline/platform';

export interface IngestMetrics {
  readonly requests: Counter<'route' | 'status'>;
  readonly requestDuration: Histogram<'route'>;
  readonly eventsAccepted: Counter;
  readonly eventsRejected: Counter<'reason'>;
  readonly rateLimited: Counter<'source'>;
  readonly rateLimiterFallback: Counter<'mode'>;
  readonly redisUp: Gauge;
  readonly produceDuration: Histogram<'outcome'>;
  readonly produceBatchSize: Histogram;
  readonly inFlightRequests: Gauge;
  readonly producerBuffered: Gauge;
  readonly idempotentReplays: Counter;
  readonly idempotencyUnavailable: Counter;
}

const byRegistry = new WeakMap<Metrics['registry'], IngestMetrics>();

/** The ingest series of a registry, registered once however many parts ask for them. */
export function createIngestMetrics(metrics: Metrics): IngestMetrics {
  const existing = byRegistry.get(metrics.registry);
  if (existing !== undefined) return existing;
  const created: IngestMetrics = {
    requests: metrics.counter({
      name: 'ingest_http_requests_total',
      help: 'HTTP requests answered, by route and status',
      labelNames: ['route', 'status'],
    }),
    requestDuration: metrics.histogram({
      name: 'ingest_http_request_duration_seconds',
      help: 'Time from request to response, by route',
      labelNames: ['route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    }),
    eventsAccepted: metrics.counter({
      name: 'ingest_events_accepted_total',
      help: 'Events acknowledged by Kafka and answered 2xx',
    }),
    eventsRejected: metrics.counter({
      name: 'ingest_events_rejected_total',
      help: 'Events not accepted, by reason',
      labelNames: ['reason'],
    }),
    rateLimited: metrics.counter({
      name: 'ingest_rate_limited_requests_total',
      help: 'Requests refused with 429, by the bucket that decided (redis or local)',
      labelNames: ['source'],
    }),
    rateLimiterFallback: metrics.counter({
      name: 'ingest_rate_limiter_fallback_total',
      help: 'Rate-limit decisions taken without Redis, by RATE_LIMIT_REDIS_DOWN mode',
      labelNames: ['mode'],
    }),
    redisUp: metrics.gauge({
      name: 'ingest_redis_up',
      help: '1 when the last Redis call succeeded, 0 when ingest runs on its fallback',
    }),
    produceDuration: metrics.histogram({
      name: 'ingest_kafka_produce_duration_seconds',
      help: 'Time from sending a produce batch to its acks=all acknowledgement',
      labelNames: ['outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    }),
    produceBatchSize: metrics.histogram({
      name: 'ingest_kafka_produce_batch_messages',
      help: 'Messages per produce batch (requests coalesced)',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500],
    }),
    inFlightRequests: metrics.gauge({
      name: 'ingest_in_flight_requests',
      help: 'Requests being handled',
    }),
    producerBuffered: metrics.gauge({
      name: 'ingest_producer_buffered_messages',
      help: 'Messages waiting for a produce batch or its acknowledgement',
    }),
    idempotentReplays: metrics.counter({
      name: 'ingest_idempotent_replays_total',
      help: 'Requests answered from a stored response (same Idempotency-Key and body)',
    }),
    idempotencyUnavailable: metrics.counter({
      name: 'ingest_idempotency_unavailable_total',
      help: 'Requests with an Idempotency-Key served without the check because Redis was unreachable',
    }),
  };
  byRegistry.set(metrics.registry, created);
  return created;
}
