import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { goDefaultBinaryName, wrapperGoMod } from './go.ts';

describe('wrapperGoMod', () => {
  it('requires the module, lists each binary as a tool and sorts replacements', () => {
    const text = wrapperGoMod({
      name: 'kubernetes',
      module: 'k8s.io/kubernetes',
      version: 'v1.36.3',
      packages: [{ path: 'k8s.io/kubernetes/cmd/kube-apiserver', binary: 'kube-apiserver' }],
      replace: {
        'k8s.io/client-go': 'k8s.io/client-go v0.36.3',
        'k8s.io/api': 'k8s.io/api v0.36.3',
      },
    });
    assert.match(text, /^module eventpipeline\.local\/build\/kubernetes$/m);
    assert.match(text, /^require k8s\.io\/kubernetes v1\.36\.3$/m);
    assert.match(text, /^tool \(\n\tk8s\.io\/kubernetes\/cmd\/kube-apiserver\n\)$/m);
    assert.ok(text.indexOf('k8s.io/api =>') < text.indexOf('k8s.io/client-go =>'));
  });

  it('has no replace block when nothing is replaced', () => {
    assert.doesNotMatch(
      wrapperGoMod({ name: 'kwok', module: 'sigs.k8s.io/kwok', version: 'v0.8.0', packages: [] }),
      /replace/,
    );
  });
});

describe('goDefaultBinaryName', () => {
  it('is the last path element, skipping a major-version suffix', () => {
    assert.equal(goDefaultBinaryName('k8s.io/kubernetes/cmd/kube-apiserver'), 'kube-apiserver');
    assert.equal(goDefaultBinaryName('go.etcd.io/etcd/server/v3'), 'server');
    assert.equal(goDefaultBinaryName('helm.sh/helm/v3/cmd/helm'), 'helm');
  });
});
