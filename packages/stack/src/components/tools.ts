import path from 'node:path';
import { goBuild } from '../build/go.ts';
import type { Component } from '../component.ts';
import { which } from '../exec.ts';
import { versions } from '../versions.ts';

const NAME = 'tools';

/** Command-line tools the chart and alert tests use: helm (built) and promtool (Debian). */
export function createTools(): Component {
  let helm = '';
  return {
    name: NAME,
    summary: `helm ${versions.helm} (built) and promtool (Debian's prometheus)`,
    debianPackages: () => [{ component: NAME, package: 'prometheus', provides: 'promtool' }],
    prepare: async (ctx) => {
      const bin = await goBuild(ctx.cacheDir, {
        component: NAME,
        name: 'helm',
        module: 'helm.sh/helm/v3',
        version: versions.helm,
        packages: [{ path: 'helm.sh/helm/v3/cmd/helm', binary: 'helm' }],
        ldflags: `-s -w -X helm.sh/helm/v3/internal/version.version=${versions.helm}`,
        versionArgs: ['version', '--short'],
        log: ctx.log,
      });
      helm = path.join(bin, 'helm');
    },
    start: async () => {
      const promtool = (await which('promtool')) ?? 'promtool';
      return { env: { HELM: helm, PROMTOOL: promtool }, endpoints: { helm, promtool } };
    },
  };
}
