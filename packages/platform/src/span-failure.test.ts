import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SpanStatusCode } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { recordSpanFailure } from './span-failure.ts';

describe('recordSpanFailure', () => {
  it('sets the status to ERROR and records the exception, for an Error and for anything thrown', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({
      spanProcessors: [new SimpleSpanProcessor({ exporter })],
    });
    const tracer = provider.getTracer('test');
    const thrown = [new Error('relation "events" does not exist'), 'a plain string'];
    for (const error of thrown) {
      const span = tracer.startSpan('work');
      recordSpanFailure(span, error);
      span.end();
    }
    await provider.forceFlush();
    const spans = exporter.getFinishedSpans();
    assert.deepEqual(
      spans.map((span) => [span.status.code, span.events[0]?.name, span.events[0]?.attributes]),
      [
        [
          SpanStatusCode.ERROR,
          'exception',
          {
            'exception.type': 'Error',
            'exception.message': 'relation "events" does not exist',
            'exception.stacktrace': (thrown[0] as Error).stack,
          },
        ],
        [SpanStatusCode.ERROR, 'exception', { 'exception.message': 'a plain string' }],
      ],
    );
  });
});
