import path from 'node:path';
import { StackError } from './errors.ts';
import { killProcess, startDaemon, stopProcess, waitForExit } from './processes.ts';
import { createComponent } from './registry.ts';
import { StateStore, readState, withLock, type ComponentState } from './state.ts';
import { waitUntil } from './wait.ts';

/*
 * Fault injection for guarantee tests: kill -9 a component, stop it cleanly, start it again on the
 * same ports with the same data. Use a private stack (its own state directory) for these, never the
 * shared one other tests are using.
 */

interface FaultTarget {
  stateDir: string;
  component: string;
}

async function withComponent<T>(
  target: FaultTarget,
  work: (store: StateStore, component: ComponentState) => Promise<T>,
): Promise<T> {
  const stateDir = path.resolve(target.stateDir);
  return withLock(stateDir, async () => {
    const store = new StateStore(stateDir, await readState(stateDir));
    const component = store.state.components[target.component];
    if (component === undefined) {
      throw new StackError(
        target.component,
        `is not part of the stack under ${stateDir}`,
        `start it first: stack up ${target.component}`,
      );
    }
    return work(store, component);
  });
}

/** SIGKILL every process of the component, as a crash or an OOM kill would. Its data stays. */
export function killComponent(target: FaultTarget): Promise<void> {
  return withComponent(target, async (_store, component) => {
    for (const record of component.processes) killProcess(record);
    for (const record of component.processes) await waitForExit(record, 10_000);
  });
}

/** A clean shutdown (the component's own stop signal). Its data stays. */
export function stopComponent(target: FaultTarget): Promise<void> {
  return withComponent(target, async (_store, component) => {
    for (const record of [...component.processes].reverse()) await stopProcess(record);
  });
}

/** Starts a stopped or killed component again, same ports and data, and waits until it answers. */
export function startComponent(target: FaultTarget, timeoutMs = 90_000): Promise<void> {
  return withComponent(target, async (store, component) => {
    const probe = createComponent(target.component).probe;
    if (probe === undefined) {
      throw new StackError(
        target.component,
        'cannot be restarted by the fault tools',
        'restart the whole stack (stack down && stack up)',
      );
    }
    component.processes = await Promise.all(
      component.processes.map(async (record) => {
        await stopProcess(record);
        return startDaemon({ ...record.spec, name: record.name, log: record.log });
      }),
    );
    await store.save();
    const [first] = component.processes;
    await waitUntil(() => probe(component.env), {
      component: target.component,
      what: 'readiness after a restart',
      timeoutMs,
      ...(first === undefined ? {} : { process: first }),
    });
  });
}

export async function restartComponent(target: FaultTarget): Promise<void> {
  await stopComponent(target);
  await startComponent(target);
}
