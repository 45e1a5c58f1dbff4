import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CounterConfiguration, GaugeConfiguration, HistogramConfiguration } from 'prom-client';

export type { Counter, Gauge, Histogram, Registry } from 'prom-client';

export const DEFAULT_METRIC_PREFIX = 'eventpipeline_';

/** A metric's configuration without its registry; the name is given without the prefix. */
export type MetricOptions<C> = Omit<C, 'registers'>;

export interface Metrics {
  readonly registry: Registry;
  readonly prefix: string;
  counter<T extends string>(options: MetricOptions<CounterConfiguration<T>>): Counter<T>;
  gauge<T extends string>(options: MetricOptions<GaugeConfiguration<T>>): Gauge<T>;
  histogram<T extends string>(options: MetricOptions<HistogramConfiguration<T>>): Histogram<T>;
}

export interface MetricsOptions {
  /** Added as the `pipeline` label to every series, process metrics included. */
  readonly pipeline?: string;
  readonly prefix?: string;
}

/** A registry of its own (never prom-client's global one) with process and GC metrics. */
export function createMetrics({
  pipeline,
  prefix = DEFAULT_METRIC_PREFIX,
}: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (pipeline !== undefined) registry.setDefaultLabels({ pipeline });
  collectDefaultMetrics({ register: registry, prefix });
  const named = <C extends { name: string }>(options: C) => ({
    ...options,
    name: `${prefix}${options.name}`,
    registers: [registry],
  });
  return {
    registry,
    prefix,
    counter: (options) => new Counter(named(options)),
    gauge: (options) => new Gauge(named(options)),
    histogram: (options) => new Histogram(named(options)),
  };
}
