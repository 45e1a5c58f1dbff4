import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { versions } from '@event-pipeline/stack';
import { setting } from '../../support/stack.ts';

const exec = promisify(execFile);

export const CHART_DIR = path.resolve(import.meta.dirname, '../../../charts/event-pipeline');

export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
  };
  readonly [field: string]: unknown;
}

/** `helm template` of the chart with `--set` values, parsed. */
export async function renderChart(
  set: Readonly<Record<string, string | number | boolean>> = {},
  options: { readonly showOnly?: readonly string[] } = {},
): Promise<Manifest[]> {
  const args = [
    'template',
    'ep',
    CHART_DIR,
    '--namespace',
    'event-pipeline-system',
    '--kube-version',
    versions.kubernetes.replace(/^v/, ''),
  ];
  for (const [key, value] of Object.entries(set)) {
    // --set reads 0.25 as a string; --set-json keeps numbers numbers.
    if (typeof value === 'number') args.push('--set-json', `${key}=${JSON.stringify(value)}`);
    else args.push('--set', `${key}=${String(value)}`);
  }
  for (const template of options.showOnly ?? []) args.push('--show-only', template);
  const { stdout } = await exec(await setting('HELM'), args, { maxBuffer: 64 * 1024 * 1024 });
  return parseAllDocuments(stdout)
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((doc): doc is Manifest => doc !== null);
}

export function only(manifests: readonly Manifest[], kind: string): Manifest[] {
  return manifests.filter((m) => m.kind === kind);
}
