import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { downloadModule, fetchGoMod, goBuild } from '../../build/go.ts';
import { versions } from '../../versions.ts';

const COMPONENT = 'kubernetes';

export interface KubernetesBinaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kwok: string;
  /** kwok's configuration: the Stages it ships, which make nodes Ready and pods Running. */
  kwokStages: string;
}

/** kwok publishes its stage definitions in its module; take those of the version we run. */
export const kwokStageFiles = [
  'node/fast/node-initialize.yaml',
  'node/heartbeat-with-lease/node-heartbeat-with-lease.yaml',
  'pod/fast/pod-ready.yaml',
  'pod/fast/pod-complete.yaml',
  'pod/fast/pod-delete.yaml',
] as const;

async function kwokStages(): Promise<string> {
  const { dir } = await downloadModule(COMPONENT, 'sigs.k8s.io/kwok', versions.kwok);
  const documents = await Promise.all(
    kwokStageFiles.map((file) => readFile(path.join(dir, 'kustomize', 'stage', file), 'utf8')),
  );
  return documents.map((doc) => doc.trim()).join('\n---\n') + '\n';
}

/**
 * k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with ./staging paths,
 * which only work inside its own repository: a wrapper module replaces each with its published
 * v0.<minor>.<patch> release instead.
 */
export function stagingReplacements(
  kubernetesGoMod: string,
  kubernetesVersion: string,
): Record<string, string> {
  const published = kubernetesVersion.replace(/^v1\./, 'v0.');
  const replace: Record<string, string> = {};
  for (const match of kubernetesGoMod.matchAll(
    /^\s*(k8s\.io\/[\w.-]+)\s+=>\s+\.\/staging\/src\//gm,
  )) {
    const module = match[1];
    if (module !== undefined) replace[module] = `${module} ${published}`;
  }
  return replace;
}

/** -X flags so the binaries report their real version rather than v0.0.0-master. */
export function versionLdflags(kubernetesVersion: string): string {
  const [major, minor] = kubernetesVersion.replace(/^v/, '').split('.');
  const flags = ['-s', '-w'];
  for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
    flags.push(
      `-X ${pkg}.gitVersion=${kubernetesVersion}`,
      `-X ${pkg}.gitMajor=${major ?? ''}`,
      `-X ${pkg}.gitMinor=${minor ?? ''}`,
      `-X ${pkg}.gitTreeState=clean`,
    );
  }
  return flags.join(' ');
}

export async function buildKubernetesBinaries(
  cacheDir: string,
  log: (line: string) => void,
): Promise<KubernetesBinaries> {
  const goMod = await fetchGoMod(COMPONENT, 'k8s.io/kubernetes', versions.kubernetes);
  const controlPlane = await goBuild(cacheDir, {
    component: COMPONENT,
    name: 'kubernetes',
    module: 'k8s.io/kubernetes',
    version: versions.kubernetes,
    packages: ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'].map((binary) => ({
      path: `k8s.io/kubernetes/cmd/${binary}`,
      binary,
    })),
    replace: stagingReplacements(goMod, versions.kubernetes),
    ldflags: versionLdflags(versions.kubernetes),
    log,
  });
  const etcd = await goBuild(cacheDir, {
    component: COMPONENT,
    name: 'etcd',
    module: 'go.etcd.io/etcd/server/v3',
    version: versions.etcd,
    packages: [{ path: 'go.etcd.io/etcd/server/v3', binary: 'etcd' }],
    ldflags: '-s -w',
    log,
  });
  const kwok = await goBuild(cacheDir, {
    component: COMPONENT,
    name: 'kwok',
    module: 'sigs.k8s.io/kwok',
    version: versions.kwok,
    packages: [{ path: 'sigs.k8s.io/kwok/cmd/kwok', binary: 'kwok' }],
    ldflags: '-s -w',
    log,
  });
  return {
    etcd: path.join(etcd, 'etcd'),
    kubeApiserver: path.join(controlPlane, 'kube-apiserver'),
    kubeControllerManager: path.join(controlPlane, 'kube-controller-manager'),
    kubeScheduler: path.join(controlPlane, 'kube-scheduler'),
    kwok: path.join(kwok, 'kwok'),
    kwokStages: await kwokStages(),
  };
}
