import { render } from '../../chart/chart.ts';
import type { KubeObject } from '../../chart/chart.ts';

/** `helm template` of the chart with `--set` values (test/chart's renderer), parsed. */
export function renderChart(
  set: Readonly<Record<string, string | number | boolean>> = {},
  options: { readonly showOnly?: readonly string[] } = {},
): Promise<KubeObject[]> {
  return render({
    namespace: 'event-pipeline-system',
    set,
    ...(options.showOnly === undefined ? {} : { showOnly: options.showOnly }),
  });
}

export function only(manifests: readonly KubeObject[], kind: string): KubeObject[] {
  return manifests.filter((m) => m.kind === kind);
}
