/**
 * The external.metrics.k8s.io/v1beta1 API as the HPA controller calls it through the aggregation
 * layer (the shape KEDA and prometheus-adapter serve). Pure: request path in, response body out.
 */

export const EXTERNAL_METRICS_GROUP = 'external.metrics.k8s.io';
export const EXTERNAL_METRICS_VERSION = 'v1beta1';
export const GROUP_VERSION = `${EXTERNAL_METRICS_GROUP}/${EXTERNAL_METRICS_VERSION}`;

export interface MetricValue {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Looks up the values of one metric in one namespace for a label selector. */
export type MetricSource = (
  namespace: string,
  metric: string,
  selector: ReadonlyMap<string, string>,
) => Promise<readonly MetricValue[] | undefined>;

export type MetricsRoute =
  | { readonly kind: 'group-list' }
  | { readonly kind: 'resource-list' }
  | {
      readonly kind: 'values';
      readonly namespace: string;
      readonly metric: string;
      readonly selector: ReadonlyMap<string, string>;
    }
  | { readonly kind: 'bad-selector'; readonly message: string }
  | { readonly kind: 'not-found' };

const VALUES_PATH = new RegExp(
  `^/apis/${GROUP_VERSION.replace('.', '\\.')}/namespaces/([^/]+)/([^/]+)$`,
);

/** Equality selectors only ("a=b,c==d"): what an HPA's matchLabels becomes. */
export function parseLabelSelector(text: string | null): ReadonlyMap<string, string> | string {
  const selector = new Map<string, string>();
  if (text === null || text.trim() === '') return selector;
  for (const part of text.split(',')) {
    const match = /^\s*([A-Za-z0-9._/-]+)\s*==?\s*([A-Za-z0-9._-]*)\s*$/.exec(part);
    if (match === null)
      return `unsupported label selector term "${part}": only key=value is served`;
    selector.set(match[1] ?? '', match[2] ?? '');
  }
  return selector;
}

export function route(url: URL): MetricsRoute {
  const path = url.pathname.replace(/\/+$/, '');
  if (path === '/apis') return { kind: 'group-list' };
  if (path === `/apis/${GROUP_VERSION}`) return { kind: 'resource-list' };
  const match = VALUES_PATH.exec(path);
  if (match === null) return { kind: 'not-found' };
  const selector = parseLabelSelector(url.searchParams.get('labelSelector'));
  if (typeof selector === 'string') return { kind: 'bad-selector', message: selector };
  return {
    kind: 'values',
    namespace: decodeURIComponent(match[1] ?? ''),
    metric: decodeURIComponent(match[2] ?? ''),
    selector,
  };
}

export function groupList() {
  const version = { groupVersion: GROUP_VERSION, version: EXTERNAL_METRICS_VERSION };
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [{ name: EXTERNAL_METRICS_GROUP, versions: [version], preferredVersion: version }],
  };
}

export function resourceList(metrics: readonly string[]) {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: GROUP_VERSION,
    resources: metrics.map((name) => ({
      name,
      singularName: '',
      namespaced: true,
      kind: 'ExternalMetricValueList',
      verbs: ['get'],
    })),
  };
}

export function valueList(metric: string, values: readonly MetricValue[], now: Date) {
  return {
    kind: 'ExternalMetricValueList',
    apiVersion: GROUP_VERSION,
    metadata: {},
    items: values.map((v) => ({
      metricName: metric,
      metricLabels: v.labels,
      timestamp: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      // A quantity; lag is a whole, non-negative number of messages.
      value: String(Math.max(0, Math.round(v.value))),
    })),
  };
}

export function status(code: number, reason: string, message: string) {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
}
