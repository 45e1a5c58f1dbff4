import { resolveStateDir, stackEnv } from '@event-pipeline/stack';

/** Connection settings of the stack that test/global-setup.ts started. */
export async function stackSettings(): Promise<Record<string, string>> {
  return stackEnv({ stateDir: resolveStateDir(undefined) });
}

export async function setting(name: string): Promise<string> {
  const value = (await stackSettings())[name];
  if (value === undefined)
    throw new Error(`the test stack has no ${name}; is its component started?`);
  return value;
}

/** A name no other test (or earlier run) uses: tests share one stack. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
