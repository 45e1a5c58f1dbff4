import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  TracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { encodeEventMessage } from '@event-pipeline/platform';
import { eventually } from '../../../test/support/kubernetes.ts';
import { startSharedStackConsumer } from './shared-stack-consumer.ts';
import type { SharedStackConsumer } from './shared-stack-consumer.ts';
import { clientEvent, query, storedEvent, storedKeys } from './support.ts';

// The spans this process records, kept in memory: the consumer's tracer is the API's global one,
// so registering a provider here is what a deployment's OpenTelemetry SDK does.
const exporter = new InMemorySpanExporter();
trace.setGlobalTracerProvider(
  new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }),
);

/** An ingest request's span, as ingest writes it into each message's `traceparent` header. */
function ingestTraceparent(traceId: string, spanId: string): string {
  return `00-${traceId}-${spanId}-01`;
}

describe('dedup consumer traces (shared stack)', () => {
  let stack: SharedStackConsumer;

  before(async () => {
    stack = await startSharedStackConsumer('trace', { bloomBits: 2 ** 12 });
  });
  after(async () => {
    await stack.close();
  });

  it("continues the ingest's trace from the Kafka headers, with a child span for PostgreSQL", async () => {
    // Two ingest requests (two traces), their events with the same message key so they land in
    // one partition and, sent together, in one chunk.
    const traces = [
      { traceId: 'a1'.repeat(16), spanId: 'b1'.repeat(8) },
      { traceId: 'a2'.repeat(16), spanId: 'b2'.repeat(8) },
    ];
    const events = traces.map((_, i) =>
      storedEvent(stack.pipeline, { ...clientEvent(i, true), userId: 'one-user' }),
    );
    await stack.producer.send({
      topic: stack.topic,
      acks: -1,
      messages: events.map((event, i) =>
        encodeEventMessage(event, {
          traceparent: ingestTraceparent(traces[i]?.traceId ?? '', traces[i]?.spanId ?? ''),
        }),
      ),
    });
    await eventually('both events stored', async () => {
      const keys = await storedKeys(stack.url, stack.pipeline);
      return keys.size === events.length ? keys : undefined;
    });

    const finished = await eventually('the store span ended', () => {
      const spans = exporter.getFinishedSpans();
      const store = spans.find(
        (span) =>
          span.name === 'dedup-consumer store' &&
          span.attributes['messaging.destination.name'] === stack.topic,
      );
      return Promise.resolve(store === undefined ? undefined : { store, spans });
    });
    const { store, spans } = finished;
    const [first] = traces;
    assert.ok(first !== undefined);
    // The chunk's span is a child of the first message's ingest span: the same trace.
    assert.equal(store.kind, SpanKind.CONSUMER);
    assert.equal(store.spanContext().traceId, first.traceId);
    assert.equal(store.parentSpanContext?.spanId, first.spanId);
    assert.equal(store.attributes['eventpipeline.stored'], 2);
    // Every message's ingest span is linked, so the second request's trace leads here too.
    assert.deepEqual(
      store.links.map((link) => [link.context.traceId, link.context.spanId]),
      traces.map(({ traceId, spanId }) => [traceId, spanId]),
    );
    // The PostgreSQL statement is a child of the chunk's span.
    const insert = spans.find(
      (span: ReadableSpan) => span.parentSpanContext?.spanId === store.spanContext().spanId,
    );
    assert.ok(insert !== undefined, 'no child span of the store span');
    assert.equal(insert.name, 'INSERT events');
    assert.equal(insert.kind, SpanKind.CLIENT);
    assert.equal(insert.spanContext().traceId, first.traceId);
    assert.equal(insert.attributes['db.system.name'], 'postgresql');
    assert.equal(insert.attributes['db.operation.batch.size'], 2);
    assert.notEqual(insert.status.code, SpanStatusCode.ERROR);
  });

  it('marks the chunk and its INSERT as errors when PostgreSQL refuses the statement, then stores on retry', async () => {
    // A real refusal: the key table is renamed away, so the statement fails until it is back.
    await query(stack.url, 'ALTER TABLE event_keys RENAME TO event_keys_away');
    const event = storedEvent(stack.pipeline, clientEvent(100, true));
    const traceId = 'c3'.repeat(16);
    try {
      await stack.producer.send({
        topic: stack.topic,
        acks: -1,
        messages: [
          encodeEventMessage(event, { traceparent: ingestTraceparent(traceId, 'd4'.repeat(8)) }),
        ],
      });
      const failed = await eventually('a failed store span', () => {
        const spans = exporter
          .getFinishedSpans()
          .filter((span) => span.spanContext().traceId === traceId);
        const store = spans.find(
          (span) =>
            span.name === 'dedup-consumer store' && span.status.code === SpanStatusCode.ERROR,
        );
        const insert = spans.find(
          (span) =>
            span.name === 'INSERT events' &&
            span.parentSpanContext?.spanId === store?.spanContext().spanId,
        );
        return Promise.resolve(
          store === undefined || insert === undefined ? undefined : { store, insert },
        );
      });
      assert.equal(failed.insert.status.code, SpanStatusCode.ERROR);
      for (const span of [failed.store, failed.insert]) {
        assert.match(
          String(
            span.events.find((e) => e.name === 'exception')?.attributes?.['exception.message'],
          ),
          /event_keys/,
        );
      }
    } finally {
      await query(stack.url, 'ALTER TABLE event_keys_away RENAME TO event_keys');
    }
    await eventually('the event stored on retry', async () => {
      const keys = await storedKeys(stack.url, stack.pipeline);
      return keys.has(event.dedupKey) ? keys : undefined;
    });
  });
});
