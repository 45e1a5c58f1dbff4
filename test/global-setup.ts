// Starts the whole stack once per `make test` run and stops it afterwards, pass or fail.
import { componentNames, describeError, down, resolveStateDir, up } from '@event-pipeline/stack';
// This runs in the test runner's own process, which `--import` does not reach.
import './support/process-warnings.ts';

const stateDir = resolveStateDir(process.env.STACK_STATE_DIR ?? '.stack/test');
const log = (line: string): void => void process.stderr.write(`stack: ${line}\n`);

export async function globalSetup(): Promise<void> {
  const started = Date.now();
  process.env.STACK_STATE_DIR = stateDir;
  try {
    await up(componentNames(), { stateDir, log });
  } catch (error) {
    log(`the stack did not start:\n${describeError(error)}`);
    throw error;
  }
  log(`stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

export async function globalTeardown(): Promise<void> {
  await down({ stateDir, log });
}
