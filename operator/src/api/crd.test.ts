import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { CRD_FILE, buildCrd, renderCrdYaml } from './crd.ts';
import { eventPipelineSpecSchema } from './eventpipeline-spec.ts';

const crdPath = new URL(`../../../${CRD_FILE}`, import.meta.url);

function walk(
  node: unknown,
  visit: (node: Record<string, unknown>, path: string) => void,
  path = '',
): void {
  if (Array.isArray(node)) node.forEach((item, i) => walk(item, visit, `${path}[${i}]`));
  else if (node !== null && typeof node === 'object') {
    visit(node as Record<string, unknown>, path);
    for (const [key, value] of Object.entries(node)) walk(value, visit, `${path}.${key}`);
  }
}

describe('the generated CRD', () => {
  it('in crds/ is what the zod schema generates now (run `node operator/src/generate-crd.ts`)', async () => {
    assert.equal(await readFile(crdPath, 'utf8'), renderCrdYaml());
  });

  it('is structural: no $ref, no additionalProperties: false, every property typed', () => {
    const crd = buildCrd();
    const text = JSON.stringify(crd);
    assert.ok(!text.includes('$ref'));
    assert.ok(!text.includes('"propertyNames"'));
    walk(crd, (node, path) => {
      assert.notEqual(node.additionalProperties, false, path);
      if (path.includes('openAPIV3Schema') && !path.endsWith('.properties')) return;
    });
    const spec = (parse(renderCrdYaml()) as { spec: { versions: { schema: unknown }[] } }).spec
      .versions[0]?.schema;
    walk(spec, (node, path) => {
      if (!path.endsWith('.properties') && !path.includes('x-kubernetes')) return;
      if (path.includes('x-kubernetes')) return;
      for (const [name, child] of Object.entries(node)) {
        assert.ok(
          typeof (child as { type?: unknown }).type === 'string',
          `${path}.${name} has no type`,
        );
      }
    });
  });

  it('carries the CEL rules the API server enforces', () => {
    const text = JSON.stringify(buildCrd());
    for (const rule of [
      'self >= oldSelf',
      '!has(self.minReplicas) || !has(self.maxReplicas) || self.minReplicas <= self.maxReplicas',
      'has(self.bootstrapServers) != has(self.bootstrapServersSecretRef)',
      'has(self.claimName) != has(self.size)',
      'self.matches(',
    ]) {
      assert.ok(text.includes(JSON.stringify(rule).slice(1, -1)), rule);
    }
  });
});

describe('the spec schema (the operator side of the same rules)', () => {
  const valid = {
    kafka: { bootstrapServers: ['k:9092'] },
    ingest: { apiKeysSecretRef: { name: 'keys' } },
    dedup: { redis: { urlSecretRef: { name: 'r', key: 'url' } } },
    storage: { postgres: { urlSecretRef: { name: 'p', key: 'url' } } },
    archive: { volume: { claimName: 'arch' } },
  };

  it('fills the same defaults the CRD declares', () => {
    const spec = eventPipelineSpecSchema.parse(valid);
    assert.equal(spec.kafka.topic.partitions, 12);
    assert.equal(spec.kafka.deletionPolicy, 'Retain');
    assert.equal(spec.dedup.consumers.minReplicas, 1);
    assert.equal(spec.archive.schedule, '15 * * * *');
  });

  it('refuses what the CEL rules refuse', () => {
    const cases: [string, unknown][] = [
      [
        'min > max',
        { ...valid, dedup: { ...valid.dedup, consumers: { minReplicas: 5, maxReplicas: 2 } } },
      ],
      [
        'both bootstrap kinds',
        {
          ...valid,
          kafka: { bootstrapServers: ['a:1'], bootstrapServersSecretRef: { name: 'a', key: 'b' } },
        },
      ],
      ['no bootstrap', { ...valid, kafka: {} }],
      ['bad schedule', { ...valid, archive: { ...valid.archive, schedule: '* * *' } }],
      ['claim and size', { ...valid, archive: { volume: { claimName: 'a', size: '1Gi' } } }],
      ['bad duration', { ...valid, dedup: { ...valid.dedup, window: '24 hours' } }],
    ];
    for (const [name, input] of cases) {
      assert.equal(eventPipelineSpecSchema.safeParse(input).success, false, name);
    }
  });
});
