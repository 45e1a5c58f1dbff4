import { homedir } from 'node:os';
import path from 'node:path';

/** Downloads and builds, shared by every state directory and kept across runs. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.EVENT_PIPELINE_CACHE;
  if (explicit !== undefined && explicit !== '') return path.resolve(explicit);
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg !== undefined && xdg !== '' ? xdg : path.join(homedir(), '.cache');
  return path.join(base, 'event-pipeline');
}

/** One running stack: its data, logs, certificates and `stack.json`. */
export function resolveStateDir(explicit: string | undefined, env = process.env): string {
  const chosen = explicit ?? env.STACK_STATE_DIR ?? '.stack/dev';
  return path.resolve(chosen);
}
