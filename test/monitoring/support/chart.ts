import { chartDir, render } from '../../chart/chart.ts';
import type { KubeObject } from '../../chart/chart.ts';

export const CHART_DIR = chartDir;

export type Manifest = KubeObject;

/** `helm template` of the chart with `--set` values (test/chart's renderer), parsed. */
export function renderChart(
  set: Readonly<Record<string, string | number | boolean>> = {},
  options: { readonly showOnly?: readonly string[] } = {},
): Promise<Manifest[]> {
  return render({
    namespace: 'event-pipeline-system',
    set,
    ...(options.showOnly === undefined ? {} : { showOnly: options.showOnly }),
  });
}

export function only(manifests: readonly Manifest[], kind: string): Manifest[] {
  return manifests.filter((m) => m.kind === kind);
}
