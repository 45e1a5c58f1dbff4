import path from 'node:path';
import { goBuild } from '../build/go.ts';
import type { Component } from '../component.ts';
import { which } from '../exec.ts';
import { versions } from '../versions.ts';

const NAME = 'tools';

/**
 * Command-line tools the chart and alert tests use: helm, helm-docs and helm-unittest (built from
 * the Go module proxy) and promtool (Debian). helm-unittest is run as its own binary
 * (`HELM_UNITTEST <chart>`), the same program `helm unittest` starts as a plugin.
 */
export function createTools(): Component {
  let helm = '';
  let helmDocs = '';
  let helmUnittest = '';
  return {
    name: NAME,
    summary: `helm ${versions.helm}, helm-docs ${versions.helmDocs}, helm-unittest ${versions.helmUnittest} (built) and promtool (Debian's prometheus)`,
    debianPackages: () => [{ component: NAME, package: 'prometheus', provides: 'promtool' }],
    prepare: async (ctx) => {
      const helmBin = await goBuild(ctx.cacheDir, {
        component: NAME,
        name: 'helm',
        module: 'helm.sh/helm/v3',
        version: versions.helm,
        packages: [{ path: 'helm.sh/helm/v3/cmd/helm', binary: 'helm' }],
        ldflags: `-s -w -X helm.sh/helm/v3/internal/version.version=${versions.helm}`,
        versionArgs: ['version', '--short'],
        log: ctx.log,
      });
      helm = path.join(helmBin, 'helm');
      const docsBin = await goBuild(ctx.cacheDir, {
        component: NAME,
        name: 'helm-docs',
        module: 'github.com/norwoodj/helm-docs',
        version: versions.helmDocs,
        packages: [{ path: 'github.com/norwoodj/helm-docs/cmd/helm-docs', binary: 'helm-docs' }],
        ldflags: `-s -w -X main.version=${versions.helmDocs.replace(/^v/, '')}`,
        versionArgs: ['--version'],
        log: ctx.log,
      });
      helmDocs = path.join(docsBin, 'helm-docs');
      const unittestBin = await goBuild(ctx.cacheDir, {
        component: NAME,
        name: 'helm-unittest',
        module: 'github.com/helm-unittest/helm-unittest',
        version: versions.helmUnittest,
        packages: [
          {
            path: 'github.com/helm-unittest/helm-unittest/cmd/helm-unittest',
            binary: 'helm-unittest',
          },
        ],
        // The module's own go.mod replaces this fork in; replacements only apply in the main module.
        replace: {
          'github.com/vmware-labs/yaml-jsonpath': 'github.com/helm-unittest/yaml-jsonpath v0.4.0',
        },
        ldflags: `-s -w -X github.com/helm-unittest/helm-unittest/internal/build.version=${versions.helmUnittest.replace(/^v/, '')}`,
        versionArgs: ['--help'],
        log: ctx.log,
      });
      helmUnittest = path.join(unittestBin, 'helm-unittest');
    },
    start: async () => {
      const promtool = (await which('promtool')) ?? 'promtool';
      return {
        env: {
          HELM: helm,
          HELM_DOCS: helmDocs,
          HELM_UNITTEST: helmUnittest,
          PROMTOOL: promtool,
        },
        endpoints: { helm, 'helm-docs': helmDocs, 'helm-unittest': helmUnittest, promtool },
      };
    },
  };
}
