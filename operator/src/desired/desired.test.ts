import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { V1Deployment, V1PodSpec } from '@kubernetes/client-node';
import { eventPipelineSpecSchema } from '../api/eventpipeline-spec.ts';
import type { EventPipelineSpecInput } from '../api/eventpipeline-spec.ts';
import type { EventPipeline } from '../api/resource.ts';
import { desiredArchiveClaim, desiredArchiveCronJob } from './archive.ts';
import {
  consumerReplicaBounds,
  desiredConsumerDeployment,
  desiredConsumerHpa,
} from './consumers.ts';
import { desiredIngestDeployment, desiredIngestPdb, desiredIngestService } from './ingest.ts';
import type { Observed } from './status.ts';
import { computeStatus } from './status.ts';
import { desiredTopics } from './topics.ts';

const opts = { images: { ingest: 'i:1', consumer: 'c:1', archiver: 'a:1' } };
const SECRET_VALUE = 'postgres://user:hunter2@db/events';

/** The archive job's environment, name → literal value. */
function archiveEnvOf(cron: ReturnType<typeof desiredArchiveCronJob>) {
  return Object.fromEntries(
    (cron.spec.jobTemplate.spec?.template.spec?.containers[0]?.env ?? []).map((e) => [
      e.name,
      e.value,
    ]),
  );
}

function pipeline(overrides: Partial<EventPipelineSpecInput> = {}): EventPipeline {
  const spec = eventPipelineSpecSchema.parse({
    kafka: { bootstrapServers: ['k:9092'], topic: { partitions: 4 } },
    ingest: { replicas: 2, apiKeysSecretRef: { name: 'keys' } },
    dedup: {
      redis: { urlSecretRef: { name: 'redis', key: 'url' } },
      consumers: { maxReplicas: 10 },
    },
    storage: { postgres: { urlSecretRef: { name: 'pg', key: 'url' } } },
    archive: { volume: { claimName: 'arch' } },
    ...overrides,
  });
  return {
    apiVersion: 'eventpipeline.io/v1alpha1',
    kind: 'EventPipeline',
    metadata: { name: 'clicks', namespace: 'analytics', uid: 'uid-1', generation: 3 },
    spec,
  };
}

const podSpecs = (p: EventPipeline): V1PodSpec[] =>
  [
    desiredIngestDeployment(p, opts).spec?.template.spec,
    desiredConsumerDeployment(p, opts).spec?.template.spec,
    desiredArchiveCronJob(p, opts).spec.jobTemplate.spec?.template.spec,
  ].map((s) => {
    assert.ok(s);
    return s;
  });

describe('desired children', () => {
  it('selectors match their pod template labels, and the Service selects the ingest pods', () => {
    const p = pipeline();
    for (const d of [
      desiredIngestDeployment(p, opts),
      desiredConsumerDeployment(p, opts),
    ] as V1Deployment[]) {
      const template = d.spec?.template.metadata?.labels ?? {};
      for (const [k, v] of Object.entries(d.spec?.selector.matchLabels ?? {}))
        assert.equal(template[k], v);
    }
    const pods = desiredIngestDeployment(p, opts).spec?.template.metadata?.labels ?? {};
    for (const [k, v] of Object.entries(desiredIngestService(p).spec?.selector ?? {}))
      assert.equal(pods[k], v);
  });

  it('every child is owned by the pipeline as controller', () => {
    const p = pipeline({ archive: { volume: { size: '10Gi' } } });
    const children = [
      desiredIngestDeployment(p, opts),
      desiredIngestService(p),
      desiredIngestPdb(p),
      desiredConsumerDeployment(p, opts),
      desiredConsumerHpa(p),
      desiredArchiveCronJob(p, opts),
      desiredArchiveClaim(p),
    ];
    for (const child of children) {
      assert.ok(child);
      assert.deepEqual(
        child.metadata?.ownerReferences?.map((r) => [r.uid, r.controller]),
        [['uid-1', true]],
      );
      assert.equal(child.metadata.namespace, 'analytics');
    }
  });

  it('runs every container under the restricted security profile with probes where it serves', () => {
    for (const spec of podSpecs(pipeline())) {
      assert.equal(spec.securityContext?.runAsNonRoot, true);
      assert.equal(spec.securityContext.seccompProfile?.type, 'RuntimeDefault');
      for (const c of spec.containers) {
        assert.equal(c.securityContext?.readOnlyRootFilesystem, true);
        assert.equal(c.securityContext.allowPrivilegeEscalation, false);
        assert.deepEqual(c.securityContext.capabilities?.drop, ['ALL']);
      }
    }
    for (const d of [
      desiredIngestDeployment(pipeline(), opts),
      desiredConsumerDeployment(pipeline(), opts),
    ]) {
      const c = d.spec?.template.spec?.containers[0];
      assert.ok(c?.readinessProbe?.httpGet && c.livenessProbe?.httpGet);
    }
  });

  it('references Secrets and never inlines a secret value', () => {
    const p = pipeline();
    const text = JSON.stringify(podSpecs(p));
    assert.ok(!text.includes(SECRET_VALUE));
    const env = podSpecs(p).flatMap((s) => s.containers.flatMap((c) => c.env ?? []));
    for (const name of ['DATABASE_URL', 'REDIS_URL']) {
      for (const e of env.filter((x) => x.name === name)) {
        assert.equal(e.value, undefined, `${name} must come from a Secret`);
        assert.ok(e.valueFrom?.secretKeyRef?.name);
      }
    }
    const viaSecret = pipeline({
      kafka: { bootstrapServersSecretRef: { name: 'kafka', key: 'brokers' } },
    });
    const brokers = desiredIngestDeployment(
      viaSecret,
      opts,
    ).spec?.template.spec?.containers[0]?.env?.find((e) => e.name === 'KAFKA_BROKERS');
    assert.deepEqual(brokers?.valueFrom?.secretKeyRef, { key: 'brokers', name: 'kafka' });
  });

  it('leaves consumer replicas to the HPA, capped at the partition count (property)', () => {
    assert.equal(desiredConsumerDeployment(pipeline(), opts).spec?.replicas, undefined);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 1000 }),
        (partitions, a, b) => {
          const p = pipeline({
            kafka: { bootstrapServers: ['k:1'], topic: { partitions } },
            dedup: {
              redis: { urlSecretRef: { name: 'r', key: 'u' } },
              consumers: { minReplicas: Math.min(a, b), maxReplicas: Math.max(a, b) },
            },
          });
          const hpa = desiredConsumerHpa(p);
          const max = hpa.spec.maxReplicas;
          const min = hpa.spec.minReplicas ?? 0;
          assert.ok(max <= partitions && min <= max && min >= 1);
          assert.deepEqual(consumerReplicaBounds(p), { min, max });
        },
      ),
    );
  });

  it('targets the pipeline lag metric with AverageValue = lagThreshold', () => {
    const metric = desiredConsumerHpa(pipeline()).spec.metrics?.[0];
    assert.equal(metric?.type, 'External');
    assert.deepEqual(metric.external?.metric.selector?.matchLabels, { pipeline: 'clicks' });
    assert.deepEqual(metric.external.target, { averageValue: '1k', type: 'AverageValue' });
  });

  it('creates a PDB only with more than one ingest replica', () => {
    assert.ok(desiredIngestPdb(pipeline()));
    assert.equal(
      desiredIngestPdb(pipeline({ ingest: { replicas: 1, apiKeysSecretRef: { name: 'k' } } })),
      undefined,
    );
  });

  it('schedules the archive with Forbid, history limits and the claim', () => {
    const cron = desiredArchiveCronJob(pipeline(), opts);
    assert.equal(cron.spec.concurrencyPolicy, 'Forbid');
    assert.equal(cron.spec.schedule, '15 * * * *');
    assert.ok(
      (cron.spec.successfulJobsHistoryLimit ?? 0) > 0 &&
        (cron.spec.failedJobsHistoryLimit ?? 0) > 0,
    );
    const volume = cron.spec.jobTemplate.spec?.template.spec?.volumes?.find(
      (v) => v.name === 'archive',
    );
    assert.equal(volume?.persistentVolumeClaim?.claimName, 'arch');
    assert.equal(desiredArchiveClaim(pipeline()), undefined, 'an existing claim is not created');
  });

  it("gives the archive job its own default resources, and takes the resource's when set", () => {
    const resourcesOf = (cron: ReturnType<typeof desiredArchiveCronJob>) =>
      cron.spec.jobTemplate.spec?.template.spec?.containers[0]?.resources;
    assert.deepEqual(resourcesOf(desiredArchiveCronJob(pipeline(), opts)), {
      requests: { cpu: '500m', memory: '512Mi' },
      limits: { memory: '1Gi' },
    });
    const own = { requests: { memory: '1Gi' }, limits: { memory: '2Gi', cpu: '2' } };
    const custom = pipeline({ archive: { volume: { claimName: 'arch' }, resources: own } });
    assert.deepEqual(resourcesOf(desiredArchiveCronJob(custom, opts)), own);
  });

  it('points the archive job at the Pushgateway only when the operator has one', () => {
    const without = archiveEnvOf(desiredArchiveCronJob(pipeline(), opts));
    assert.equal(without.PUSHGATEWAY_URL, undefined);
    const withGateway = archiveEnvOf(
      desiredArchiveCronJob(pipeline(), {
        ...opts,
        archivePushgatewayUrl: 'http://pushgateway.monitoring:9091',
      }),
    );
    assert.equal(withGateway.PUSHGATEWAY_URL, 'http://pushgateway.monitoring:9091');
    assert.equal(withGateway.PIPELINE_NAMESPACE, 'analytics');
  });

  it('caps glibc malloc arenas in the archive job, which runs DuckDB threads beside Node', () => {
    assert.equal(archiveEnvOf(desiredArchiveCronJob(pipeline(), opts)).MALLOC_ARENA_MAX, '2');
  });

  it('is stable: the same input serializes identically, with sorted env', () => {
    const a = JSON.stringify(desiredIngestDeployment(pipeline(), opts));
    const b = JSON.stringify(desiredIngestDeployment(pipeline(), opts));
    assert.equal(a, b);
    const env =
      desiredIngestDeployment(pipeline(), opts).spec?.template.spec?.containers[0]?.env?.map(
        (e) => e.name,
      ) ?? [];
    assert.deepEqual(
      env,
      [...env].sort((x, y) => x.localeCompare(y)),
    );
  });

  it('derives topics with retention in ms and a smaller dead-letter topic', () => {
    const [events, dlq] = desiredTopics(pipeline());
    assert.equal(events?.name, 'analytics.clicks');
    assert.equal(events.config['retention.ms'], String(7 * 24 * 3600 * 1000));
    assert.equal(dlq?.name, 'analytics.clicks.dlq');
    assert.ok(dlq.partitions <= events.partitions);
  });
});

describe('computeStatus', () => {
  const ready: Observed = {
    now: '2026-01-01T00:00:00.000Z',
    topic: { ok: true, partitions: 4 },
    ingest: {
      metadata: { generation: 1 },
      status: { observedGeneration: 1, readyReplicas: 2, updatedReplicas: 2 },
    },
    consumer: {
      metadata: { generation: 1 },
      status: { observedGeneration: 1, readyReplicas: 1, replicas: 1 },
    },
    hpa: { spec: { maxReplicas: 4, scaleTargetRef: { kind: 'Deployment', name: 'x' } } },
    cronJob: { spec: { schedule: '15 * * * *', jobTemplate: {} } },
    lag: 42,
  };

  it('is Ready when every part is, with topic, endpoint, replicas and lag', () => {
    const status = computeStatus(pipeline(), ready);
    assert.equal(status.observedGeneration, 3);
    assert.deepEqual(
      status.conditions?.map((c) => [c.type, c.status]),
      [
        ['Ready', 'True'],
        ['TopicReady', 'True'],
        ['IngestReady', 'True'],
        ['ConsumersReady', 'True'],
        ['ArchiveReady', 'True'],
      ],
    );
    assert.ok(status.conditions.every((c) => c.observedGeneration === 3));
    assert.deepEqual(status.topic, {
      name: 'analytics.clicks',
      partitions: 4,
      deadLetterTopic: 'analytics.clicks.dlq',
    });
    assert.deepEqual(status.ingest, {
      endpoint: 'http://clicks-ingest.analytics.svc',
      readyReplicas: 2,
    });
    assert.deepEqual(status.consumers, { replicas: 1, lag: 42 });
  });

  it('names the first failing part in Ready and carries Kafka reasons through', () => {
    const status = computeStatus(pipeline(), {
      ...ready,
      topic: { ok: false, reason: 'KafkaUnavailable', message: 'down' },
    });
    const byType = new Map(status.conditions?.map((c) => [c.type, c]));
    assert.equal(byType.get('TopicReady')?.reason, 'KafkaUnavailable');
    assert.equal(byType.get('Ready')?.status, 'False');
    assert.equal(byType.get('Ready')?.reason, 'TopicNotReady');
  });

  it('is not IngestReady until enough replicas are ready for the current generation', () => {
    const short = computeStatus(pipeline(), {
      ...ready,
      ingest: {
        metadata: { generation: 2 },
        status: { observedGeneration: 1, readyReplicas: 2, updatedReplicas: 2 },
      },
    });
    assert.equal(short.conditions?.find((c) => c.type === 'IngestReady')?.status, 'False');
  });

  it('keeps lastTransitionTime while a condition does not flip, so a second pass is identical', () => {
    const first = computeStatus(pipeline(), ready);
    const again = computeStatus(
      { ...pipeline(), status: first },
      { ...ready, now: '2026-01-02T00:00:00.000Z' },
    );
    assert.deepEqual(again, first);
    const flipped = computeStatus(
      { ...pipeline(), status: first },
      { ...ready, now: '2026-01-03T00:00:00.000Z', cronJob: undefined },
    );
    assert.equal(
      flipped.conditions?.find((c) => c.type === 'ArchiveReady')?.lastTransitionTime,
      '2026-01-03T00:00:00.000Z',
    );
    assert.equal(
      flipped.conditions.find((c) => c.type === 'TopicReady')?.lastTransitionTime,
      '2026-01-01T00:00:00.000Z',
    );
  });
});
