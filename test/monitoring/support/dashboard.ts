import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { chartDir } from '../../chart/chart.ts';

export const DASHBOARD_FILE = path.join(chartDir, 'files/dashboards/event-pipeline.json');

export interface Target {
  readonly refId: string;
  readonly expr: string;
  readonly datasource?: { readonly type?: string; readonly uid?: string };
}
export interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly gridPos: {
    readonly x: number;
    readonly y: number;
    readonly w: number;
    readonly h: number;
  };
  readonly datasource?: { readonly type?: string; readonly uid?: string };
  readonly targets?: readonly Target[];
  readonly panels?: readonly Panel[];
}
export interface Variable {
  readonly name: string;
  readonly type: string;
  readonly query?: string | { readonly query?: string };
}
export interface Dashboard {
  readonly title: string;
  readonly uid: string;
  readonly schemaVersion: number;
  readonly panels: readonly Panel[];
  readonly templating: { readonly list: readonly Variable[] };
}

export async function readDashboard(): Promise<Dashboard> {
  return JSON.parse(await readFile(DASHBOARD_FILE, 'utf8')) as Dashboard;
}

/** Every panel, rows' nested panels included. */
export const allPanels = (d: Dashboard): Panel[] =>
  d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);

/** The PromQL of every panel target and of every `label_values(<selector>, label)` variable. */
export function dashboardQueries(d: Dashboard): { where: string; expr: string }[] {
  const queries = allPanels(d).flatMap((p) =>
    (p.targets ?? []).map((t) => ({ where: `panel "${p.title}" ${t.refId}`, expr: t.expr })),
  );
  for (const variable of d.templating.list) {
    if (variable.type !== 'query') continue;
    const query =
      typeof variable.query === 'string' ? variable.query : (variable.query?.query ?? '');
    const match = /^label_values\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\)$/.exec(query);
    if (match?.[1] === undefined)
      throw new Error(`variable ${variable.name}: unsupported query ${query}`);
    queries.push({ where: `variable $${variable.name}`, expr: match[1] });
  }
  return queries;
}
