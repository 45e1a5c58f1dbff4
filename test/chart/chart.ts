import { execFile } from 'node:child_process';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { versions } from '@event-pipeline/stack';
import { setting } from '../support/stack.ts';

const exec = promisify(execFile);

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const chartDir = path.join(repoRoot, 'charts', 'event-pipeline');
/** The Kubernetes version the stack runs; `helm template` otherwise assumes an old default. */
export const KUBE_VERSION = versions.kubernetes.replace(/^v/, '');

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

let helmHome: Promise<string> | undefined;

/** helm from the stack, with its config and cache in a private folder (never the user's). */
export async function helm(
  args: readonly string[],
  extraEnv: Record<string, string> = {},
): Promise<string> {
  helmHome ??= mkdtemp(path.join(tmpdir(), 'chart-helm-'));
  const home = await helmHome;
  const { stdout } = await exec(await setting('HELM'), [...args], {
    cwd: repoRoot,
    maxBuffer: 64 * 1024 * 1024,
    env: {
      ...process.env,
      HELM_CONFIG_HOME: path.join(home, 'config'),
      HELM_CACHE_HOME: path.join(home, 'cache'),
      HELM_DATA_HOME: path.join(home, 'data'),
      ...extraEnv,
    },
  });
  return stdout;
}

export interface RenderOptions {
  release?: string;
  namespace?: string;
  valuesFiles?: readonly string[];
  /** Numbers go through --set-json (--set would read 0.25 as a string). */
  set?: Readonly<Record<string, string | number | boolean>>;
  /** Render only these templates (`templates/...`). */
  showOnly?: readonly string[];
}

export function renderArgs(options: RenderOptions = {}): string[] {
  const args = [options.release ?? 'ep', chartDir, '--namespace', options.namespace ?? 'ep-system'];
  for (const file of options.valuesFiles ?? []) args.push('--values', file);
  for (const [key, value] of Object.entries(options.set ?? {})) {
    if (typeof value === 'number') args.push('--set-json', `${key}=${JSON.stringify(value)}`);
    else args.push('--set', `${key}=${String(value)}`);
  }
  for (const template of options.showOnly ?? []) args.push('--show-only', template);
  return args;
}

/** `helm template`, parsed into objects (empty documents dropped). */
export async function render(options: RenderOptions = {}): Promise<KubeObject[]> {
  const text = await helm(['template', ...renderArgs(options), '--kube-version', KUBE_VERSION]);
  return parseObjects(text);
}

export function parseObjects(text: string): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0)
      throw new Error(`rendered YAML is invalid: ${doc.errors[0]?.message}`);
    const value = doc.toJS({ maxAliasCount: -1 }) as KubeObject | null;
    if (value !== null) objects.push(value);
  }
  return objects;
}

/** Every ci/*-values.yaml scenario, as absolute paths. */
export async function scenarios(): Promise<string[]> {
  const dir = path.join(chartDir, 'ci');
  return (await readdir(dir))
    .filter((f) => f.endsWith('-values.yaml'))
    .sort()
    .map((f) => path.join(dir, f));
}

export function find(objects: readonly KubeObject[], kind: string, name?: string): KubeObject {
  const found = objects.find(
    (o) => o.kind === kind && (name === undefined || o.metadata.name === name),
  );
  if (found === undefined) throw new Error(`no ${kind}${name === undefined ? '' : ` ${name}`}`);
  return found;
}
