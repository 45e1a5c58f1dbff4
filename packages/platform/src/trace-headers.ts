import { context } from '@opentelemetry/api';
import type { Context, TextMapGetter, TextMapSetter } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/** Kafka message headers as kafkajs types them: sent as strings, received as Buffers. */
export type KafkaHeaderValue = Buffer | string | (Buffer | string)[] | undefined;
export type KafkaHeaders = Record<string, KafkaHeaderValue>;

/*
 * The W3C propagator itself rather than the global one: the Kafka contract is `traceparent` /
 * `tracestate` whatever OTEL_PROPAGATORS says, and it holds even when the SDK is not started.
 */
const propagator = new W3CTraceContextPropagator();

const setter: TextMapSetter<KafkaHeaders> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

const getter: TextMapGetter<KafkaHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = Object.hasOwn(carrier, key) ? carrier[key] : headerIgnoringCase(carrier, key);
    if (value === undefined) return undefined;
    return Array.isArray(value) ? value.map(String) : String(value);
  },
};

function headerIgnoringCase(carrier: KafkaHeaders, key: string): KafkaHeaderValue {
  const lower = key.toLowerCase();
  const found = Object.keys(carrier).find((name) => name.toLowerCase() === lower);
  return found === undefined ? undefined : carrier[found];
}

/** A copy of `headers` plus `traceparent` (and `tracestate`) for the span in `ctx`. */
export function injectTraceHeaders(
  headers: KafkaHeaders = {},
  ctx: Context = context.active(),
): KafkaHeaders {
  const out: KafkaHeaders = { ...headers };
  propagator.inject(ctx, out, setter);
  return out;
}

/** `base` with the remote span context carried by the headers, if they carry a valid one. */
export function extractTraceContext(
  headers: KafkaHeaders | undefined,
  base: Context = context.active(),
): Context {
  return propagator.extract(base, headers ?? {}, getter);
}
