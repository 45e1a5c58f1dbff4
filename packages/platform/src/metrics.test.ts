import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMetrics } from './metrics.ts';

describe('createMetrics', () => {
  it('prefixes metric names and labels every series with the pipeline', async () => {
    const metrics = createMetrics({ pipeline: 'clickstream' });
    const accepted = metrics.counter({
      name: 'ingest_events_accepted_total',
      help: 'Events acknowledged by Kafka.',
      labelNames: ['status'],
    });
    accepted.inc({ status: 'ok' }, 3);
    const text = await metrics.registry.metrics();
    assert.match(
      text,
      /^eventpipeline_ingest_events_accepted_total\{status="ok",pipeline="clickstream"\} 3$/m,
    );
  });

  it('registers process and GC metrics under the prefix', async () => {
    const metrics = createMetrics({ pipeline: 'p' });
    const text = await metrics.registry.metrics();
    assert.match(text, /^eventpipeline_process_cpu_seconds_total\{pipeline="p"\} /m);
    assert.match(text, /^# TYPE eventpipeline_nodejs_gc_duration_seconds histogram$/m);
    assert.match(text, /^eventpipeline_nodejs_eventloop_lag_seconds\{pipeline="p"\} /m);
  });

  it('keeps registries apart so two instances in one process do not clash', async () => {
    const a = createMetrics({ pipeline: 'a' });
    const b = createMetrics({ pipeline: 'b' });
    a.gauge({ name: 'consumer_lag', help: 'Lag.' }).set(7);
    b.gauge({ name: 'consumer_lag', help: 'Lag.' }).set(9);
    assert.match(await a.registry.metrics(), /^eventpipeline_consumer_lag\{pipeline="a"\} 7$/m);
    assert.match(await b.registry.metrics(), /^eventpipeline_consumer_lag\{pipeline="b"\} 9$/m);
  });

  it('refuses a second metric of the same name on one registry', () => {
    const metrics = createMetrics();
    metrics.counter({ name: 'x_total', help: 'x' });
    assert.throws(() => metrics.counter({ name: 'x_total', help: 'x' }), /already been registered/);
  });

  it('makes histograms with the given buckets and a custom prefix', async () => {
    const metrics = createMetrics({ prefix: 'test_' });
    metrics
      .histogram({ name: 'batch_size', help: 'Events per batch.', buckets: [1, 10, 100] })
      .observe(5);
    const text = await metrics.registry.metrics();
    assert.match(text, /^test_batch_size_bucket\{le="10"\} 1$/m);
    assert.match(text, /^test_batch_size_bucket\{le="1"\} 0$/m);
    assert.doesNotMatch(text, /pipeline=/);
  });
});
