import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stagingReplacements, versionLdflags } from './binaries.ts';

const goMod = `module k8s.io/kubernetes

go 1.26.0

replace (
	k8s.io/api => ./staging/src/k8s.io/api
	k8s.io/cri-streaming => ./staging/src/k8s.io/cri-streaming
	github.com/example/other => github.com/example/other v1.0.0
)
`;

describe('stagingReplacements', () => {
  it('maps every ./staging replacement to the published v0.<minor>.<patch> module', () => {
    assert.deepEqual(stagingReplacements(goMod, 'v1.36.3'), {
      'k8s.io/api': 'k8s.io/api v0.36.3',
      'k8s.io/cri-streaming': 'k8s.io/cri-streaming v0.36.3',
    });
  });
});

describe('versionLdflags', () => {
  it('sets the git version, major and minor for component-base and client-go', () => {
    const flags = versionLdflags('v1.36.3');
    for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
      assert.ok(flags.includes(`-X ${pkg}.gitVersion=v1.36.3`));
      assert.ok(flags.includes(`-X ${pkg}.gitMajor=1`));
      assert.ok(flags.includes(`-X ${pkg}.gitMinor=36`));
    }
  });
});
