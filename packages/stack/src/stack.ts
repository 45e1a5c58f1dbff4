import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { ensureDebianPackages } from './apt.ts';
import type { ComponentContext } from './component.ts';
import { StackError } from './errors.ts';
import { cacheDir as defaultCacheDir } from './paths.ts';
import { isRunning, startDaemon, stopProcess, type ProcessRecord } from './processes.ts';
import { createComponent, defaultComponents, type ComponentOptions } from './registry.ts';
import { StateStore, componentRunning, readState, withLock, type StackState } from './state.ts';

export interface UpOptions extends ComponentOptions {
  stateDir: string;
  cacheDir?: string;
  /** Fixed ports by name (`redis`, `kafka`, `kube-apiserver`, …); others are picked free. */
  ports?: Record<string, number>;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface StackInfo {
  stateDir: string;
  env: Record<string, string>;
  endpoints: Record<string, Record<string, string>>;
}

const noop = (): void => undefined;

/**
 * Starts the named components (already running ones are kept) and resolves once every one is
 * ready. When any fails, everything this call started is stopped again before the error surfaces.
 */
export async function up(names: readonly string[], options: UpOptions): Promise<StackInfo> {
  const log = options.log ?? noop;
  const signal = options.signal ?? new AbortController().signal;
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const stateDir = path.resolve(options.stateDir);
  const wanted = names.length > 0 ? [...new Set(names)] : [...defaultComponents];
  const components = wanted.map((name) => createComponent(name, options));

  return withLock(stateDir, async () => {
    const store = new StateStore(stateDir, await readState(stateDir));
    const toStart = [];
    for (const component of components) {
      const existing = store.state.components[component.name];
      if (existing !== undefined && (await componentRunning(existing))) {
        log(`${component.name}: already running`);
        continue;
      }
      if (existing !== undefined) await stopComponent(store, component.name);
      toStart.push(component);
    }
    await ensureDebianPackages(
      toStart.flatMap((c) => c.debianPackages()),
      log,
    );

    const logsDir = path.join(stateDir, 'logs');
    await mkdir(logsDir, { recursive: true });
    const contextFor = async (name: string): Promise<ComponentContext> => {
      const dir = path.join(stateDir, name);
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      const state = store.component(name);
      return {
        stateDir,
        dir,
        logsDir,
        cacheDir,
        signal,
        log: (line) => log(`${name}: ${line}`),
        fixedPort: (port) => options.ports?.[port],
        readyEnv: () => info(stateDir, store.state).env,
        spawn: async (spec) => {
          signal.throwIfAborted();
          const record = await startDaemon({
            ...spec,
            log: path.join(logsDir, `${spec.name}.log`),
          });
          state.processes.push(record);
          await store.save();
          return record;
        },
        ownExternalDir: async (external) => {
          state.externalDirs.push(external);
          await store.save();
        },
      };
    };

    // Prepare (download/build) everything at once; start each as soon as what it depends on is ready.
    const readiness = new Map<string, Promise<void>>();
    const whenReady = async (name: string, by: string): Promise<void> => {
      const pending = readiness.get(name);
      if (pending !== undefined) return pending;
      if (store.state.components[name]?.ready === true) return;
      throw new StackError(
        by,
        `needs ${name}, which is not running`,
        `start both: stack up ${name} ${by}`,
      );
    };
    for (const component of toStart) {
      readiness.set(
        component.name,
        (async () => {
          const started = Date.now();
          const ctx = await contextFor(component.name);
          await component.prepare(ctx);
          await Promise.all(
            (component.dependsOn ?? []).map((dep) => whenReady(dep, component.name)),
          );
          const ready = await component.start(ctx);
          Object.assign(store.component(component.name), { ...ready, ready: true });
          await store.save();
          log(`${component.name}: ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        })(),
      );
    }
    const results = await Promise.allSettled(readiness.values());
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (failures.length > 0) {
      for (const component of toStart) await stopComponent(store, component.name);
      throw failures.length === 1
        ? failures[0]
        : new AggregateError(failures, 'several components failed to start');
    }
    return info(stateDir, store.state);
  });
}

async function stopComponent(store: StateStore, name: string): Promise<void> {
  const component = store.state.components[name];
  if (component === undefined) return;
  // Stop in reverse start order: kwok and the controllers before the API server, it before etcd.
  for (const record of [...component.processes].reverse()) await stopProcess(record);
  for (const dir of component.externalDirs) await rm(dir, { recursive: true, force: true });
  await rm(path.join(store.stateDir, name), { recursive: true, force: true });
  store.state.components = Object.fromEntries(
    Object.entries(store.state.components).filter(([key]) => key !== name),
  );
  await store.save();
}

/** Stops every process of the stack by PID and deletes its data (logs are kept for a post-mortem). */
export async function down(options: {
  stateDir: string;
  log?: (line: string) => void;
}): Promise<string[]> {
  const stateDir = path.resolve(options.stateDir);
  const log = options.log ?? noop;
  return withLock(stateDir, async () => {
    const store = new StateStore(stateDir, await readState(stateDir));
    const names = Object.keys(store.state.components).reverse();
    const errors: unknown[] = [];
    for (const name of names) {
      try {
        await stopComponent(store, name);
        log(`${name}: stopped`);
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'some components did not stop cleanly');
    return names;
  });
}

export interface ProcessStatus extends ProcessRecord {
  component: string;
  running: boolean;
}

export async function status(options: {
  stateDir: string;
}): Promise<{ info: StackInfo; processes: ProcessStatus[] }> {
  const stateDir = path.resolve(options.stateDir);
  const state = await readState(stateDir);
  const processes: ProcessStatus[] = [];
  for (const [component, entry] of Object.entries(state.components)) {
    for (const record of entry.processes)
      processes.push({ ...record, component, running: await isRunning(record) });
  }
  return { info: info(stateDir, state), processes };
}

/** Connection settings of the running stack, without starting anything. */
export async function stackEnv(options: { stateDir: string }): Promise<Record<string, string>> {
  const stateDir = path.resolve(options.stateDir);
  const state = await readState(stateDir);
  if (Object.keys(state.components).length === 0) {
    throw new StackError(
      'stack',
      `nothing is running under ${stateDir}`,
      'start it first: make up (or stack up)',
    );
  }
  return info(stateDir, state).env;
}

function info(stateDir: string, state: StackState): StackInfo {
  const env: Record<string, string> = {};
  const endpoints: Record<string, Record<string, string>> = {};
  for (const [name, component] of Object.entries(state.components)) {
    Object.assign(env, component.env);
    endpoints[name] = component.endpoints;
  }
  return { stateDir, env, endpoints };
}
