import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { execFile } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { setting } from '../support/stack.ts';
import type { KubeObject } from './chart.ts';
import {
  KUBE_VERSION,
  chartDir,
  find,
  helm,
  render,
  renderArgs,
  repoRoot,
  scenarios,
} from './chart.ts';

const exec = promisify(execFile);
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.:]*[a-z0-9])?$/;

interface Container {
  name: string;
  env?: { name: string }[];
  securityContext?: {
    runAsNonRoot?: boolean;
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { drop?: string[] };
    seccompProfile?: { type: string };
  };
}
interface PodTemplate {
  metadata: { annotations?: Record<string, string> };
  spec: {
    securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type: string } };
    containers: Container[];
    volumes?: { name: string; secret?: { secretName: string } }[];
  };
}
interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

function podTemplate(o: KubeObject): PodTemplate {
  return (o.spec as { template: PodTemplate }).template;
}

/** Rules as sorted "group/resource:verb" strings, so two rule lists compare by what they grant. */
function grants(rules: readonly Rule[]): string[] {
  const out = new Set<string>();
  for (const r of rules)
    for (const g of r.apiGroups)
      for (const res of r.resources)
        for (const v of r.verbs) out.add(`${g}/${res}:${v}${r.resourceNames ? '(named)' : ''}`);
  return [...out].sort();
}

async function expectRefused(args: readonly string[], pattern: RegExp): Promise<void> {
  await assert.rejects(
    helm(['template', ...args, '--kube-version', KUBE_VERSION]),
    (error: Error & { stderr?: string }) => {
      assert.match(error.stderr ?? error.message, pattern);
      return true;
    },
  );
}

describe('the event-pipeline chart renders', () => {
  it('passes helm lint --strict with the defaults and with every ci scenario', async () => {
    await helm(['lint', '--strict', chartDir, '--kube-version', KUBE_VERSION]);
    for (const file of await scenarios()) {
      await helm(['lint', '--strict', chartDir, '--kube-version', KUBE_VERSION, '--values', file]);
    }
  });

  it('renders every ci scenario with valid names, the chart labels and the release namespace', async () => {
    const files = await scenarios();
    assert.ok(files.length >= 5, `only ${files.length} scenarios`);
    for (const file of files) {
      const scenario = path.basename(file);
      const objects = await render({ valuesFiles: [file], namespace: 'ep-ci' });
      assert.ok(
        objects.some((o) => o.kind === 'Deployment'),
        `${scenario}: no Deployment`,
      );
      const seen = new Set<string>();
      for (const o of objects) {
        const id = `${scenario}: ${o.kind} ${o.metadata.name}`;
        assert.ok(o.metadata.name.length <= 63 || o.kind === 'CustomResourceDefinition', id);
        assert.match(
          o.metadata.name,
          o.kind.endsWith('Role') ||
            o.kind.endsWith('Binding') ||
            o.kind === 'APIService' ||
            o.kind === 'CustomResourceDefinition'
            ? DNS_SUBDOMAIN
            : DNS_LABEL,
          id,
        );
        assert.equal(o.metadata.labels?.['app.kubernetes.io/part-of'], 'event-pipeline', id);
        assert.equal(o.metadata.labels['app.kubernetes.io/managed-by'], 'Helm', id);
        const key = `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
        assert.ok(!seen.has(key), `${scenario}: ${key} rendered twice`);
        seen.add(key);
        if (o.metadata.namespace !== undefined && o.metadata.namespace !== 'ep-ci') {
          const allowed =
            (o.kind === 'RoleBinding' && o.metadata.namespace === 'kube-system') ||
            (/^Role(Binding)?$/.test(o.kind) && o.metadata.namespace === 'analytics');
          assert.ok(allowed, `${id} is in namespace ${o.metadata.namespace}`);
        }
      }
    }
  });

  it('keeps every name within 63 characters for the longest release name and fullnameOverride, and distinct', async () => {
    const longest = [
      { release: 'r'.repeat(53) }, // helm's limit for release names
      { release: 'ep', set: { fullnameOverride: 'f'.repeat(63) } },
    ];
    for (const { release, set } of longest) {
      const objects = await render({
        release,
        set: { 'devDependencies.enabled': 'true', 'networkPolicy.enabled': 'true', ...set },
      });
      const names = objects
        .filter((o) => o.kind !== 'CustomResourceDefinition' && o.kind !== 'APIService')
        .map((o) => `${o.kind}/${o.metadata.name}`);
      assert.ok(names.length >= 20);
      for (const n of names) {
        const name = n.slice(n.indexOf('/') + 1);
        assert.ok(name.length <= 63, `${n} is ${name.length} characters`);
        assert.ok(!name.endsWith('-'), n);
      }
      assert.equal(new Set(names).size, names.length, 'two objects of one kind share a name');
    }
  });

  it('runs every pod under the restricted Pod Security Standard', async () => {
    const objects = await render({ set: { 'devDependencies.enabled': 'true' } });
    const workloads = objects.filter((o) => o.kind === 'Deployment');
    assert.equal(workloads.length, 4, 'operator, Kafka, PostgreSQL, Redis');
    for (const w of workloads) {
      const pod = podTemplate(w).spec;
      assert.equal(pod.securityContext?.runAsNonRoot, true, w.metadata.name);
      assert.equal(pod.securityContext.seccompProfile?.type, 'RuntimeDefault', w.metadata.name);
      for (const c of pod.containers) {
        const sc = c.securityContext;
        assert.equal(sc?.allowPrivilegeEscalation, false, `${w.metadata.name}/${c.name}`);
        assert.deepEqual(sc.capabilities?.drop, ['ALL'], `${w.metadata.name}/${c.name}`);
        assert.equal(sc.seccompProfile?.type, 'RuntimeDefault', `${w.metadata.name}/${c.name}`);
      }
    }
    const operator = podTemplate(find(objects, 'Deployment', 'ep-event-pipeline')).spec;
    assert.equal(operator.containers[0]?.securityContext?.readOnlyRootFilesystem, true);
  });

  it('sets only environment variables the operator reads', async () => {
    const source = await readFile(path.join(repoRoot, 'operator/src/main.ts'), 'utf8');
    const schema = source.slice(source.indexOf('const configSchema'), source.indexOf('});'));
    const known = new Set([...schema.matchAll(/^\s+([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]));
    assert.ok(known.has('LEASE_NAME') && known.has('METRICS_API_PORT'), 'could not read main.ts');
    for (const values of [
      {},
      { watchNamespace: 'analytics', 'metricsApi.requestHeaderClientCa': 'x' },
    ]) {
      const deployment = find(await render({ set: values }), 'Deployment');
      const env = podTemplate(deployment).spec.containers[0]?.env ?? [];
      assert.ok(env.length >= 10);
      for (const e of env) assert.ok(known.has(e.name), `${e.name} is not in operator/src/main.ts`);
    }
  });

  it('generates a serving certificate for the metrics API Service that the APIService trusts', async () => {
    const objects = await render({ namespace: 'ep-tls' });
    const service = find(objects, 'Service', 'ep-event-pipeline-metrics-api');
    const apiService = find(objects, 'APIService') as KubeObject & {
      spec: { caBundle: string; service: { name: string; namespace: string; port: number } };
    };
    assert.equal(apiService.spec.service.name, service.metadata.name);
    assert.equal(apiService.spec.service.namespace, 'ep-tls');
    const secret = find(objects, 'Secret', 'ep-event-pipeline-metrics-api-tls') as KubeObject & {
      data: Record<string, string>;
    };
    const pem = (key: string) => Buffer.from(secret.data[key] ?? '', 'base64').toString('utf8');
    const ca = new X509Certificate(Buffer.from(apiService.spec.caBundle, 'base64'));
    assert.equal(pem('ca.crt'), ca.toString(), 'the Secret and the APIService name different CAs');
    const cert = new X509Certificate(pem('tls.crt'));
    assert.ok(cert.checkIssued(ca) && cert.verify(ca.publicKey), 'not signed by the caBundle CA');
    assert.equal(
      cert.checkHost('ep-event-pipeline-metrics-api.ep-tls.svc'),
      'ep-event-pipeline-metrics-api.ep-tls.svc',
    );
    assert.equal(cert.checkHost('elsewhere.ep-tls.svc'), undefined);
    assert.ok(cert.checkPrivateKey((await import('node:crypto')).createPrivateKey(pem('tls.key'))));
    // The pods mount this Secret, and restart when it changes.
    const pod = podTemplate(find(objects, 'Deployment'));
    assert.ok(pod.spec.volumes?.some((v) => v.secret?.secretName === secret.metadata.name));
    assert.match(pod.metadata.annotations?.['checksum/metrics-api-tls'] ?? '', /^[0-9a-f]{64}$/);
  });

  it('asks cert-manager for the certificate and its CA injection when told to', async () => {
    const objects = await render({ set: { 'metricsApi.tls.source': 'certManager' } });
    const certificate = find(objects, 'Certificate') as KubeObject & {
      spec: { secretName: string; dnsNames: string[]; issuerRef: { name: string } };
    };
    assert.ok(certificate.spec.dnsNames.includes('ep-event-pipeline-metrics-api.ep-system.svc'));
    assert.equal(find(objects, 'Issuer').metadata.name, certificate.spec.issuerRef.name);
    assert.equal(
      find(objects, 'APIService').metadata.annotations?.['cert-manager.io/inject-ca-from'],
      `ep-system/${certificate.spec.secretName}`,
    );
    assert.ok(!objects.some((o) => o.kind === 'Secret'), 'no generated Secret with cert-manager');
  });

  it('templates the CRD from crds/ (the copy in the chart is not stale) and keeps it on uninstall', async () => {
    const sources = (await readdir(path.join(repoRoot, 'crds')))
      .filter((f) => f.endsWith('.yaml'))
      .sort();
    const copies = (await readdir(path.join(chartDir, 'crd-bases')))
      .filter((f) => f.endsWith('.yaml'))
      .sort();
    assert.deepEqual(copies, sources, 'run `make chart-crds`');
    for (const file of sources) {
      const [source, copy] = await Promise.all([
        readFile(path.join(repoRoot, 'crds', file), 'utf8'),
        readFile(path.join(chartDir, 'crd-bases', file), 'utf8'),
      ]);
      assert.equal(
        copy,
        source,
        `charts/event-pipeline/crd-bases/${file} is stale: run \`make chart-crds\``,
      );
      const expected = parseAllDocuments(source)[0]?.toJS() as KubeObject & { spec: unknown };
      const rendered = find(
        await render(),
        'CustomResourceDefinition',
        expected.metadata.name,
      ) as KubeObject & { spec: unknown };
      assert.deepEqual(rendered.spec, expected.spec);
      assert.equal(rendered.metadata.annotations?.['helm.sh/resource-policy'], 'keep');
    }
    const notKept = find(
      await render({ set: { 'crds.keep': 'false' } }),
      'CustomResourceDefinition',
    );
    assert.equal(notKept.metadata.annotations?.['helm.sh/resource-policy'], undefined);
    const none = await render({ set: { 'crds.enabled': 'false' } });
    assert.ok(!none.some((o) => o.kind === 'CustomResourceDefinition'));
  });

  it('grants the operator exactly the rules of operator/manifests/rbac.yaml, cluster-wide or in one namespace', async () => {
    const reference = parseAllDocuments(
      await readFile(path.join(repoRoot, 'operator/manifests/rbac.yaml'), 'utf8'),
    )
      .map((d) => d.toJS() as KubeObject & { rules?: Rule[] })
      .find((o) => o.kind === 'ClusterRole');
    assert.ok(reference?.rules);
    const clusterWide = find(await render(), 'ClusterRole', 'ep-event-pipeline') as KubeObject & {
      rules: Rule[];
    };
    assert.deepEqual(grants(clusterWide.rules), grants(reference.rules));

    const namespaced = await render({ set: { watchNamespace: 'analytics' } });
    assert.ok(
      !namespaced.some((o) => o.kind === 'ClusterRole' && o.metadata.name === 'ep-event-pipeline'),
    );
    const role = find(namespaced, 'Role', 'ep-event-pipeline') as KubeObject & { rules: Rule[] };
    assert.equal(role.metadata.namespace, 'analytics');
    assert.deepEqual(grants(role.rules), grants(reference.rules));
    const binding = find(namespaced, 'RoleBinding', 'ep-event-pipeline') as KubeObject & {
      subjects: { name: string; namespace: string }[];
    };
    assert.deepEqual(
      binding.subjects.map((s) => `${s.namespace}/${s.name}`),
      ['ep-system/ep-event-pipeline'],
    );

    const noSecrets = find(
      await render({ set: { 'rbac.readSecrets': 'false' } }),
      'ClusterRole',
      'ep-event-pipeline',
    ) as KubeObject & { rules: Rule[] };
    assert.ok(!grants(noSecrets.rules).some((g) => g.startsWith('/secrets')));

    const lease = find(
      await render(),
      'Role',
      'ep-event-pipeline-leader-election',
    ) as KubeObject & { rules: Rule[] };
    const named = lease.rules.find((r) => r.resourceNames !== undefined);
    assert.deepEqual(named?.resourceNames, ['ep-event-pipeline-leader']);
  });

  it('binds the HPA controller, auth delegation and the authentication reader for the metrics API, and drops them without it', async () => {
    const objects = await render();
    const bindings = objects.filter((o) => o.kind.endsWith('Binding')) as (KubeObject & {
      roleRef: { name: string };
    })[];
    const refs = bindings.map((b) => `${b.kind}:${b.metadata.namespace ?? ''}:${b.roleRef.name}`);
    assert.ok(refs.includes('ClusterRoleBinding::system:auth-delegator'));
    assert.ok(refs.includes('RoleBinding:kube-system:extension-apiserver-authentication-reader'));
    assert.ok(refs.includes('ClusterRoleBinding::ep-event-pipeline-external-metrics-reader'));
    const without = await render({ set: { 'metricsApi.enabled': 'false' } });
    for (const kind of ['APIService', 'Secret'])
      assert.ok(!without.some((o) => o.kind === kind), kind);
    assert.ok(!without.some((o) => o.metadata.namespace === 'kube-system'));
  });

  it('renders a PodDisruptionBudget only with more than one replica', async () => {
    assert.ok((await render()).some((o) => o.kind === 'PodDisruptionBudget'));
    assert.ok(
      !(await render({ set: { replicaCount: '1' } })).some((o) => o.kind === 'PodDisruptionBudget'),
    );
  });

  it('refuses unknown and invalid values (values.schema.json) at every level', async () => {
    await expectRefused(
      [...renderArgs({ set: { replicas: '2' } })],
      /additional properties 'replicas' not allowed|replicas/,
    );
    await expectRefused([...renderArgs({ set: { 'metricsApi.tls.bogus': 'x' } })], /bogus/);
    await expectRefused([...renderArgs({ set: { 'devDependencies.kafka.tag': 'x' } })], /tag/);
    await expectRefused([...renderArgs({ set: { 'metricsApi.tls.source': 'vault' } })], /source/);
    await expectRefused(
      [...renderArgs({ set: { 'metricsApi.tls.source': 'secret' } })],
      /existingSecret|caBundle/,
    );
    await expectRefused([...renderArgs({ set: { resyncPeriod: '5 minutes' } })], /resyncPeriod/);
  });

  it('closes every object level of values.schema.json (additionalProperties: false)', async () => {
    const schema = JSON.parse(
      await readFile(path.join(chartDir, 'values.schema.json'), 'utf8'),
    ) as unknown;
    // Kubernetes types passed through to the API server, which validates them.
    const passThrough = new Set([
      '/definitions/kubernetesObject',
      '/definitions/kubernetesObjects/items',
    ]);
    const open: string[] = [];
    const walk = (node: unknown, at: string): void => {
      if (Array.isArray(node)) {
        node.forEach((child, i) => {
          walk(child, `${at}/${String(i)}`);
        });
        return;
      }
      if (typeof node !== 'object' || node === null) return;
      const n = node as Record<string, unknown>;
      const conditional = /\/(if|then|else)$/.test(at);
      if ('properties' in n && n.additionalProperties !== false && !conditional) open.push(at);
      if (
        n.type === 'object' &&
        !('properties' in n) &&
        !('additionalProperties' in n) &&
        !passThrough.has(at)
      )
        open.push(at);
      for (const [key, child] of Object.entries(n)) walk(child, `${at}/${key}`);
    };
    walk(schema, '');
    assert.deepEqual(open, []);
    await expectRefused(
      [...renderArgs({ set: { 'securityContext.privileged2': 'true' } })],
      /privileged2/,
    );
    await expectRefused(
      [...renderArgs({ set: { 'podSecurityContext.seccompProfile.type': 'Nope' } })],
      /type/,
    );
  });

  it('documents every value (README.md is what helm-docs generates from values.yaml)', async () => {
    const { stdout } = await exec(
      await setting('HELM_DOCS'),
      ['--dry-run', '--chart-search-root', chartDir, '--template-files', 'README.md.gotmpl'],
      { cwd: repoRoot },
    );
    const readme = await readFile(path.join(chartDir, 'README.md'), 'utf8');
    // Not assert.equal: on failure the diff of two whole READMEs buries the message.
    assert.ok(
      readme.trim() === stdout.trim(),
      'charts/event-pipeline/README.md is stale: run `make chart-docs`',
    );
    const values = await readFile(path.join(chartDir, 'values.yaml'), 'utf8');
    const undocumented = [
      ...stdout.matchAll(/^\| ([\w.[\]"-]+) \| [^|]+ \| [^|]+ \| \s*\|$/gm),
    ].map((m) => m[1]);
    assert.deepEqual(undocumented, [], 'values without a `# --` description');
    assert.ok(values.includes('# --'));
  });
});
