import { StackError } from './errors.ts';
import { CommandFailed, run, tail, which } from './exec.ts';

/** A Debian package and a file or command that proves it is installed. */
export interface DebianRequirement {
  component: string;
  package: string;
  /** An absolute path or a command name looked up on PATH. */
  provides: string;
}

async function present(provides: string): Promise<boolean> {
  if (provides.startsWith('/')) {
    try {
      await run('test', ['-e', provides]);
      return true;
    } catch {
      return false;
    }
  }
  return (await which(provides)) !== undefined;
}

export async function missingPackages(
  requirements: readonly DebianRequirement[],
): Promise<DebianRequirement[]> {
  const missing: DebianRequirement[] = [];
  for (const requirement of requirements) {
    if (!(await present(requirement.provides))) missing.push(requirement);
  }
  return missing;
}

/**
 * Installs what is missing in one apt-get call (apt holds a lock, so never in parallel). Without
 * root it says which packages to install instead.
 */
export async function ensureDebianPackages(
  requirements: readonly DebianRequirement[],
  log: (line: string) => void,
): Promise<void> {
  const missing = await missingPackages(requirements);
  if (missing.length === 0) return;
  const names = [...new Set(missing.map((m) => m.package))].sort();
  const components = [...new Set(missing.map((m) => m.component))].sort().join(', ');
  const fix = `sudo apt-get update && sudo apt-get install -y ${names.join(' ')}`;
  if (process.getuid?.() !== 0 || (await which('apt-get')) === undefined) {
    throw new StackError(components, `missing Debian packages: ${names.join(', ')}`, fix);
  }
  log(`installing Debian packages: ${names.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await run('apt-get', ['update', '-qq'], { env });
    await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...names], { env });
  } catch (error) {
    const output = error instanceof CommandFailed ? tail(error.output, 10) : String(error);
    throw new StackError(
      components,
      `apt-get could not install ${names.join(', ')}:\n${output}`,
      `check the package names and your apt sources, then: ${fix}`,
      {
        cause: error,
      },
    );
  }
  const still = await missingPackages(missing);
  if (still.length > 0) {
    throw new StackError(
      components,
      `apt-get installed ${names.join(', ')} but ${still.map((s) => s.provides).join(', ')} is still missing`,
      fix,
    );
  }
}
