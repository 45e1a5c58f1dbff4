import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Deployment } from '@kubernetes/client-node';
import { eventPipelineSpecSchema } from '../../operator/src/api/eventpipeline-spec.ts';
import type { EventPipeline } from '../../operator/src/api/resource.ts';
import { desiredConsumerDeployment } from '../../operator/src/desired/consumers.ts';
import { desiredIngestDeployment } from '../../operator/src/desired/ingest.ts';
import type { KubeObject } from '../chart/chart.ts';
import { only, renderChart } from './support/chart.ts';

interface PodMonitor extends KubeObject {
  readonly spec: {
    readonly selector: { readonly matchLabels: Record<string, string> };
    readonly namespaceSelector: { readonly any?: boolean; readonly matchNames?: string[] };
    readonly podMetricsEndpoints: readonly { readonly port: string; readonly path: string }[];
  };
}
interface ServiceMonitor extends KubeObject {
  readonly spec: {
    readonly selector: { readonly matchLabels: Record<string, string> };
    readonly namespaceSelector: { readonly matchNames: string[] };
    readonly endpoints: readonly { readonly port: string; readonly interval: string }[];
  };
}

const pipeline: EventPipeline = {
  apiVersion: 'eventpipeline.io/v1alpha1',
  kind: 'EventPipeline',
  metadata: { name: 'clickstream', namespace: 'analytics', uid: 'uid-1', generation: 1 },
  spec: eventPipelineSpecSchema.parse({
    kafka: { bootstrapServers: ['kafka:9092'], topic: { partitions: 4 } },
    ingest: { replicas: 2, apiKeysSecretRef: { name: 'keys' } },
    dedup: { redis: { urlSecretRef: { name: 'redis', key: 'url' } } },
    storage: { postgres: { urlSecretRef: { name: 'pg', key: 'url' } } },
    archive: { volume: { claimName: 'archive' } },
  }),
};
const images = { images: { ingest: 'i:1', consumer: 'c:1', archiver: 'a:1' } };

const selects = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);
const podLabels = (d: KubeObject | V1Deployment) =>
  (d as V1Deployment).spec?.template.metadata?.labels ?? {};
const portNames = (d: KubeObject | V1Deployment) =>
  ((d as V1Deployment).spec?.template.spec?.containers ?? []).flatMap((c) =>
    (c.ports ?? []).map((p) => p.name),
  );

describe('the ServiceMonitor and PodMonitors', () => {
  it('are only rendered when enabled', async () => {
    const manifests = await renderChart();
    assert.deepEqual(only(manifests, 'ServiceMonitor'), []);
    assert.deepEqual(only(manifests, 'PodMonitor'), []);
  });

  it('scrape each pipeline component on the named port its pods expose, and not the operator', async () => {
    const manifests = await renderChart({
      'monitoring.pipelinePodMonitors.enabled': true,
      'monitoring.pipelinePodMonitors.interval': '15s',
    });
    const monitors = only(manifests, 'PodMonitor') as PodMonitor[];
    const operator = only(manifests, 'Deployment').find((d) =>
      d.metadata.name.startsWith('ep-event-pipeline'),
    );
    assert.ok(operator, 'the chart renders the operator Deployment');
    const components = [
      desiredIngestDeployment(pipeline, images),
      desiredConsumerDeployment(pipeline, images),
    ];
    for (const deployment of components) {
      const matching = monitors.filter((m) =>
        selects(m.spec.selector.matchLabels, podLabels(deployment)),
      );
      assert.equal(matching.length, 1, `one PodMonitor selects ${deployment.metadata?.name ?? ''}`);
      const [endpoint, ...more] = matching[0]?.spec.podMetricsEndpoints ?? [];
      assert.equal(more.length, 0);
      assert.ok(endpoint && portNames(deployment).includes(endpoint.port), 'the named port exists');
      assert.equal(endpoint.path, '/metrics');
      assert.deepEqual(matching[0]?.spec.namespaceSelector, { any: true });
    }
    assert.equal(monitors.length, components.length);
    for (const m of monitors) {
      assert.ok(!selects(m.spec.selector.matchLabels, podLabels(operator)), m.metadata.name);
      assert.equal((m.spec.podMetricsEndpoints[0] as { interval?: string }).interval, '15s');
    }
  });

  it('limit the pipelines scraped to the listed namespaces, else to watchNamespace', async () => {
    const listed = only(
      await renderChart({
        'monitoring.pipelinePodMonitors.enabled': true,
        'monitoring.pipelinePodMonitors.namespaces[0]': 'analytics',
        'monitoring.pipelinePodMonitors.namespaces[1]': 'billing',
      }),
      'PodMonitor',
    ) as PodMonitor[];
    for (const m of listed) {
      assert.deepEqual(m.spec.namespaceSelector, { matchNames: ['analytics', 'billing'] });
    }
    const watched = only(
      await renderChart({
        'monitoring.pipelinePodMonitors.enabled': true,
        watchNamespace: 'analytics',
      }),
      'PodMonitor',
    ) as PodMonitor[];
    for (const m of watched)
      assert.deepEqual(m.spec.namespaceSelector, { matchNames: ['analytics'] });
  });

  it('scrape the operator through its metrics Service', async () => {
    const manifests = await renderChart({
      'monitoring.operatorServiceMonitor.enabled': true,
      'monitoring.labels.release': 'kube-prometheus-stack',
    });
    const [monitor, ...more] = only(manifests, 'ServiceMonitor') as ServiceMonitor[];
    assert.ok(monitor);
    assert.equal(more.length, 0);
    assert.equal(monitor.metadata.labels?.release, 'kube-prometheus-stack');
    assert.deepEqual(monitor.spec.namespaceSelector, { matchNames: ['event-pipeline-system'] });
    const scraped = only(manifests, 'Service').filter(
      (s) =>
        selects(monitor.spec.selector.matchLabels, s.metadata.labels) &&
        ((s as { spec?: { ports?: { name?: string }[] } }).spec?.ports ?? []).some((p) =>
          monitor.spec.endpoints.some((e) => e.port === p.name),
        ),
    );
    assert.equal(scraped.length, 1, 'exactly one Service has the scraped port');
    const service = scraped[0] as KubeObject & {
      spec: { selector: Record<string, string>; ports: { name: string; targetPort: string }[] };
    };
    const operator = only(manifests, 'Deployment').find((d) =>
      selects(service.spec.selector, podLabels(d)),
    );
    assert.ok(operator, 'the Service selects the operator pods');
    const target = service.spec.ports.find((p) => p.name === monitor.spec.endpoints[0]?.port);
    assert.ok(target && portNames(operator).includes(target.targetPort));
  });
});
