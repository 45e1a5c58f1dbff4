import type { Metrics } from '@event-pipeline/platform';

export type ConsumerMetrics = ReturnType<typeof createConsumerMetrics>;

/** Every series carries `pipeline` (the registry's default label). */
export function createConsumerMetrics(metrics: Metrics) {
  return {
    events: metrics.counter({
      name: 'consumer_events_total',
      help: 'Messages handled, by outcome: stored, duplicate, dead_lettered',
      labelNames: ['outcome'] as const,
    }),
    duplicates: metrics.counter({
      name: 'consumer_duplicates_total',
      help: 'Duplicates dropped, by what detected them: batch, redis, postgres',
      labelNames: ['detected_by'] as const,
    }),
    deadLetters: metrics.counter({
      name: 'consumer_dead_letters_total',
      help: 'Poison messages sent to the dead-letter topic, by reason',
      labelNames: ['reason'] as const,
    }),
    bloom: metrics.counter({
      name: 'consumer_bloom_lookups_total',
      help: 'Bloom filter answers: absent, maybe (then the exact mark or PostgreSQL decides), stored',
      labelNames: ['result'] as const,
    }),
    bloomFill: metrics.gauge({
      name: 'consumer_bloom_fill_ratio',
      help: "Share of the Bloom filter's current slice that is set (0-1); near 1, raise BLOOM_BITS",
    }),
    bloomWarmMarks: metrics.gauge({
      name: 'consumer_bloom_warm_marks',
      help: 'Redis marks read into the Bloom filter by the last warm-up (at start and each rebalance)',
    }),
    redisErrors: metrics.counter({
      name: 'consumer_redis_errors_total',
      help: 'Redis calls that failed (probe, record, warm); PostgreSQL decides meanwhile',
      labelNames: ['operation'] as const,
    }),
    storeErrors: metrics.counter({
      name: 'consumer_store_errors_total',
      help: 'Batches that could not be stored (PostgreSQL or dead-letter topic unreachable); retried',
    }),
    pausedPartitions: metrics.gauge({
      name: 'consumer_paused_partitions',
      help: 'Partitions paused while their batch waits to be retried',
    }),
    batchSeconds: metrics.histogram({
      name: 'consumer_batch_duration_seconds',
      help: 'Time to store one batch and commit its offset',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    }),
    ingestToCommitSeconds: metrics.histogram({
      name: 'consumer_ingest_to_commit_seconds',
      help: 'From the event receivedAt at ingest to its PostgreSQL commit',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    }),
    lag: metrics.gauge({
      name: 'consumer_lag',
      help: 'Messages not yet committed by the group, per partition (high watermark − committed)',
      labelNames: ['topic', 'partition'] as const,
    }),
    lagTotal: metrics.gauge({
      name: 'consumer_lag_total',
      help: 'Messages not yet committed by the group, over all partitions of the topic',
      labelNames: ['topic'] as const,
    }),
  };
}
