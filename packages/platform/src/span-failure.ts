import { SpanStatusCode } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';

/** Marks a span as failed by `error`: the exception as a span event, and the status ERROR. */
export function recordSpanFailure(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR });
}
