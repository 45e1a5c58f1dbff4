import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import type { SpanContext } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import fc from 'fast-check';
import { extractTraceContext, injectTraceHeaders } from './trace-headers.ts';
import type { KafkaHeaders } from './trace-headers.ts';

const hex = (length: number) =>
  fc.stringMatching(new RegExp(`^[0-9a-f]{${length}}$`)).filter((id) => !/^0+$/.test(id));

const traceStates = fc
  .dictionary(fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/), fc.stringMatching(/^[a-zA-Z0-9]{1,12}$/), {
    minKeys: 1,
    maxKeys: 4,
  })
  .map((entries) =>
    Object.entries(entries).reduce<TraceState>(
      (state, [key, value]) => state.set(key, value),
      new TraceState(),
    ),
  );

const spanContexts: fc.Arbitrary<SpanContext> = fc.record(
  {
    traceId: hex(32),
    spanId: hex(16),
    traceFlags: fc.constantFrom(TraceFlags.NONE, TraceFlags.SAMPLED),
    traceState: traceStates,
  },
  { requiredKeys: ['traceId', 'spanId', 'traceFlags'] },
);

/** What kafkajs hands a consumer: every header value as a Buffer. */
function asReceived(headers: KafkaHeaders): KafkaHeaders {
  return Object.fromEntries(
    Object.entries(headers).map(([key, value]) => [
      key,
      typeof value === 'string' ? Buffer.from(value) : value,
    ]),
  );
}

describe('Kafka trace headers', () => {
  it('round-trip any span context through inject and extract', () => {
    fc.assert(
      fc.property(spanContexts, fc.boolean(), (spanContext, received) => {
        const headers = injectTraceHeaders({}, trace.setSpanContext(ROOT_CONTEXT, spanContext));
        const extracted = trace.getSpanContext(
          extractTraceContext(received ? asReceived(headers) : headers, ROOT_CONTEXT),
        );
        assert.ok(extracted !== undefined);
        assert.equal(extracted.traceId, spanContext.traceId);
        assert.equal(extracted.spanId, spanContext.spanId);
        assert.equal(extracted.traceFlags, spanContext.traceFlags);
        assert.equal(extracted.isRemote, true);
        assert.equal(extracted.traceState?.serialize(), spanContext.traceState?.serialize());
      }),
    );
  });

  it('write the W3C traceparent header and keep the other headers', () => {
    const ctx = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.SAMPLED,
    });
    const original: KafkaHeaders = { 'content-type': 'application/json' };
    const headers = injectTraceHeaders(original, ctx);
    assert.deepEqual(headers, {
      'content-type': 'application/json',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });
    assert.deepEqual(original, { 'content-type': 'application/json' });
  });

  it('add nothing when there is no span', () => {
    assert.deepEqual(injectTraceHeaders({ a: 'b' }, ROOT_CONTEXT), { a: 'b' });
  });

  it('extract nothing from missing or malformed headers', () => {
    for (const headers of [
      undefined,
      {},
      { traceparent: Buffer.from('garbage') },
      { traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' },
      { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7' },
    ] satisfies (KafkaHeaders | undefined)[]) {
      assert.equal(trace.getSpanContext(extractTraceContext(headers, ROOT_CONTEXT)), undefined);
    }
  });

  it('read a header whose name differs in case, and the first of repeated values', () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    for (const headers of [
      { TraceParent: traceparent },
      { traceparent: [Buffer.from(traceparent), 'x'] },
    ]) {
      const extracted = trace.getSpanContext(extractTraceContext(headers, ROOT_CONTEXT));
      assert.equal(extracted?.spanId, '00f067aa0ba902b7');
    }
  });
});
