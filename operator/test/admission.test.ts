import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { kubeConfig } from '../../test/support/kubernetes.ts';
import { uniqueName } from '../../test/support/stack.ts';
import {
  createNamespace,
  deleteNamespace,
  errorBody,
  installCrd,
  pipelineBody,
  pipelineResource,
  sampleSpec,
} from './support.ts';

describe('EventPipeline admission by the real API server', () => {
  let kc: k8s.KubeConfig;
  let custom: k8s.CustomObjectsApi;
  const namespace = uniqueName('ep-admission');
  const brokers = ['kafka.kafka:9092'];

  before(async () => {
    kc = await kubeConfig();
    custom = kc.makeApiClient(k8s.CustomObjectsApi);
    await installCrd(kc);
    await createNamespace(kc, namespace);
  });
  after(async () => {
    await deleteNamespace(kc, namespace);
  });

  const create = (name: string, spec: unknown) =>
    custom.createNamespacedCustomObject({
      ...pipelineResource,
      namespace,
      body: pipelineBody(name, spec),
    });

  it('accepts a valid pipeline and fills the schema defaults', async () => {
    const created = (await create('valid', sampleSpec(brokers))) as {
      spec: { kafka: { deletionPolicy: string; topic: { retention: string } } };
    };
    assert.equal(created.spec.kafka.deletionPolicy, 'Retain');
    assert.equal(created.spec.kafka.topic.retention, '7d');
  });

  const base = sampleSpec(brokers);
  const cases: { name: string; spec: unknown; message: RegExp }[] = [
    {
      name: 'minReplicas above maxReplicas',
      spec: { ...base, dedup: { ...base.dedup, consumers: { minReplicas: 8, maxReplicas: 2 } } },
      message: /minReplicas must not exceed maxReplicas/,
    },
    {
      name: 'a schedule with three fields',
      spec: { ...base, archive: { ...base.archive, schedule: '* * *' } },
      message: /schedule must be five cron fields/,
    },
    {
      name: 'a duration without a unit',
      spec: { ...base, dedup: { ...base.dedup, window: '24' } },
      message: /spec\.dedup\.window.*should match/,
    },
    {
      name: 'a retention written in words',
      spec: { ...base, kafka: { ...base.kafka, topic: { partitions: 3, retention: '7 days' } } },
      message: /spec\.kafka\.topic\.retention/,
    },
    {
      name: 'both inline brokers and a brokers Secret',
      spec: {
        ...base,
        kafka: { ...base.kafka, bootstrapServersSecretRef: { name: 'kafka', key: 'brokers' } },
      },
      message: /set exactly one of bootstrapServers and bootstrapServersSecretRef/,
    },
    {
      name: 'no brokers at all',
      spec: { ...base, kafka: { topic: { partitions: 3 } } },
      message: /set exactly one of bootstrapServers and bootstrapServersSecretRef/,
    },
    {
      name: 'zero partitions',
      spec: { ...base, kafka: { ...base.kafka, topic: { partitions: 0 } } },
      message: /spec\.kafka\.topic\.partitions.*should be greater than or equal to 1/,
    },
    {
      name: 'a volume with both a claim and a size',
      spec: { ...base, archive: { ...base.archive, volume: { claimName: 'a', size: '10Gi' } } },
      message: /set exactly one of claimName and size/,
    },
    {
      name: 'an unknown deletion policy',
      spec: { ...base, kafka: { ...base.kafka, deletionPolicy: 'Orphan' } },
      message: /spec\.kafka\.deletionPolicy.*Unsupported value: "Orphan"/,
    },
    {
      name: 'a Redis URL inline instead of a Secret reference',
      spec: { ...base, dedup: { ...base.dedup, redis: { url: 'redis://x' } } },
      message: /spec\.dedup\.redis\.urlSecretRef: Required value/,
    },
    {
      name: 'a missing API key Secret',
      spec: { ...base, ingest: { replicas: 1 } },
      message: /spec\.ingest\.apiKeysSecretRef: Required value/,
    },
    {
      name: 'a rate limit keyed by something unknown',
      spec: { ...base, ingest: { ...base.ingest, rateLimit: { by: 'user' } } },
      message: /spec\.ingest\.rateLimit\.by.*Unsupported value/,
    },
  ];

  for (const { name, spec, message } of cases) {
    it(`refuses ${name} with a message naming the problem`, async () => {
      await assert.rejects(create(uniqueName('bad').slice(0, 40), spec), (error: unknown) => {
        assert.ok(error instanceof k8s.ApiException, String(error));
        assert.equal(error.code, 422);
        assert.match(errorBody(error), message);
        return true;
      });
    });
  }

  it('refuses lowering partitions and allows raising them', async () => {
    await create('grow', sampleSpec(brokers));
    const patch = (partitions: number) =>
      custom.patchNamespacedCustomObject(
        {
          ...pipelineResource,
          namespace,
          name: 'grow',
          body: { spec: { kafka: { topic: { partitions } } } },
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
    await patch(6);
    await assert.rejects(patch(2), (error: unknown) => {
      assert.ok(error instanceof k8s.ApiException);
      assert.equal(error.code, 422);
      assert.match(errorBody(error), /partitions may only grow/);
      return true;
    });
  });

  it('refuses renaming the topic', async () => {
    const spec = sampleSpec(brokers);
    await create('named', {
      ...spec,
      kafka: { ...spec.kafka, topic: { name: 'one', partitions: 3 } },
    });
    await assert.rejects(
      custom.patchNamespacedCustomObject(
        {
          ...pipelineResource,
          namespace,
          name: 'named',
          body: { spec: { kafka: { topic: { name: 'two' } } } },
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      ),
      (error: unknown) => errorBody(error).includes('topic name is immutable'),
    );
  });
});
