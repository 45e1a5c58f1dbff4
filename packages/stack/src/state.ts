import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StackError } from './errors.ts';
import { isRunning, processStartTime, type ProcessRecord } from './processes.ts';

export interface ComponentState {
  processes: ProcessRecord[];
  env: Record<string, string>;
  endpoints: Record<string, string>;
  ready: boolean;
  /** Folders outside the state directory that `down` removes (PostgreSQL's data when run as root). */
  externalDirs: string[];
}

export interface StackState {
  components: Record<string, ComponentState>;
}

export const stateFile = (stateDir: string): string => path.join(stateDir, 'stack.json');

export async function readState(stateDir: string): Promise<StackState> {
  try {
    return JSON.parse(await readFile(stateFile(stateDir), 'utf8')) as StackState;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { components: {} };
    throw new StackError(
      'stack',
      `cannot read ${stateFile(stateDir)}: ${String(error)}`,
      `stop leftover processes by hand and delete ${stateDir}`,
    );
  }
}

/** Persists state after every change, serialised, so a crash mid-`up` still leaves a record `down` can use. */
export class StateStore {
  readonly stateDir: string;
  readonly state: StackState;
  private writes: Promise<void> = Promise.resolve();

  constructor(stateDir: string, state: StackState) {
    this.stateDir = stateDir;
    this.state = state;
  }

  component(name: string): ComponentState {
    this.state.components[name] ??= {
      processes: [],
      env: {},
      endpoints: {},
      ready: false,
      externalDirs: [],
    };
    return this.state.components[name];
  }

  save(): Promise<void> {
    const snapshot = JSON.stringify(this.state, null, 2);
    const file = stateFile(this.stateDir);
    this.writes = this.writes.then(async () => {
      await mkdir(this.stateDir, { recursive: true });
      await writeFile(`${file}.tmp`, snapshot, { mode: 0o600 });
      await rename(`${file}.tmp`, file);
    });
    return this.writes;
  }
}

/** One `up` or `down` at a time per state directory; a lock whose owner died is taken over. */
export async function withLock<T>(stateDir: string, work: () => Promise<T>): Promise<T> {
  await mkdir(stateDir, { recursive: true });
  const lock = path.join(stateDir, 'stack.lock');
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(await readFile(lock, 'utf8').catch(() => '0'));
      if (
        owner > 0 &&
        owner !== process.pid &&
        (await processStartTime(owner)) !== undefined &&
        attempt < 1200
      ) {
        if (attempt === 0)
          process.stderr.write(`stack: waiting for pid ${owner}, which holds ${lock}\n`);
        await new Promise((resolve) => setTimeout(resolve, 500));
        continue;
      }
      await rm(lock, { force: true });
    }
  }
  try {
    return await work();
  } finally {
    await rm(lock, { force: true });
  }
}

export async function componentRunning(component: ComponentState): Promise<boolean> {
  if (!component.ready) return false;
  for (const record of component.processes) {
    if (!(await isRunning(record))) return false;
  }
  return true;
}
