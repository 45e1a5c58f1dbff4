import type { DebianRequirement } from './apt.ts';
import type { DaemonSpec, ProcessRecord } from './processes.ts';

export interface ComponentContext {
  stateDir: string;
  /** This component's own folder inside the state directory. */
  dir: string;
  logsDir: string;
  cacheDir: string;
  signal: AbortSignal;
  log: (line: string) => void;
  /** Starts a process and records it in the state file before waiting on it. */
  spawn: (spec: Omit<DaemonSpec, 'log'>) => Promise<ProcessRecord>;
  /** Remembers a folder outside the state directory for `down` to delete. */
  ownExternalDir: (dir: string) => Promise<void>;
  /** A fixed port asked for by name (e.g. `redis`), else undefined for a free one. */
  fixedPort: (name: string) => number | undefined;
  /** Connection settings of the components that are ready, e.g. for a service started after them. */
  readyEnv: () => Record<string, string>;
}

export interface Started {
  /** Connection settings as environment variables (`stack env`). */
  env: Record<string, string>;
  /** Human-readable endpoints (`stack up`, `stack status`). */
  endpoints: Record<string, string>;
}

export interface Component {
  name: string;
  summary: string;
  /** Components that must be ready before this one starts. */
  dependsOn?: readonly string[];
  debianPackages: () => DebianRequirement[];
  /** Downloads or builds what the component runs (cached by version). */
  prepare: (ctx: ComponentContext) => Promise<void>;
  /** Starts the processes and resolves once they are really ready. */
  start: (ctx: ComponentContext) => Promise<Started>;
  /** Resolves once a running instance answers (used after a fault test starts it again). */
  probe?: (env: Record<string, string>) => Promise<void>;
}
