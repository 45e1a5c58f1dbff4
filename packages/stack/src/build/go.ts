import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StackError, describeError } from '../errors.ts';
import { CommandFailed, run, tail, which } from '../exec.ts';
import { cached } from './cache.ts';

export interface GoBuild {
  component: string;
  /** Cache key and binary folder name, e.g. `kubernetes`. */
  name: string;
  module: string;
  version: string;
  /** Main packages to build, each with the binary name it gets in bin/. */
  packages: readonly { path: string; binary: string }[];
  /** Module replacements, e.g. each k8s.io staging module to its published version. */
  replace?: Readonly<Record<string, string>>;
  ldflags?: string;
  /** Arguments that make each binary print its version, to verify the cache entry runs. */
  versionArgs?: readonly string[];
  log: (line: string) => void;
}

/** The go.mod of a wrapper module that requires `module@version` and lists the binaries as tools. */
export function wrapperGoMod(
  build: Pick<GoBuild, 'name' | 'module' | 'version' | 'packages' | 'replace'>,
): string {
  const lines = [
    `module eventpipeline.local/build/${build.name}`,
    '',
    'go 1.24',
    '',
    `require ${build.module} ${build.version}`,
    '',
    'tool (',
  ];
  for (const pkg of build.packages) lines.push(`\t${pkg.path}`);
  lines.push(')');
  const replace = Object.entries(build.replace ?? {}).sort(([a], [b]) => a.localeCompare(b));
  if (replace.length > 0) {
    lines.push('', 'replace (');
    for (const [from, to] of replace) lines.push(`\t${from} => ${to}`);
    lines.push(')');
  }
  return `${lines.join('\n')}\n`;
}

/** The file name `go build -o dir/` gives a main package: its last path element, minus a /vN suffix. */
export function goDefaultBinaryName(pkg: string): string {
  const parts = pkg.split('/');
  const last = parts.at(-1) ?? pkg;
  return /^v[0-9]+$/.test(last) && parts.length > 1 ? (parts.at(-2) ?? last) : last;
}

async function goEnv(component: string): Promise<NodeJS.ProcessEnv> {
  if ((await which('go')) === undefined) {
    throw new StackError(
      component,
      'the Go toolchain (go >= 1.21) is needed to build this component from the Go module proxy',
      'install Go (https://go.dev/doc/install or your distribution) and put `go` on PATH',
    );
  }
  // GOTOOLCHAIN=auto lets an older go fetch the toolchain a module asks for, from the module proxy.
  return { ...process.env, CGO_ENABLED: '0', GOTOOLCHAIN: 'auto', GOFLAGS: '-mod=mod' };
}

/** Builds the binaries with `go build` in a wrapper module, cached by module and version. */
export async function goBuild(cacheRoot: string, build: GoBuild): Promise<string> {
  const dir = await cached(cacheRoot, {
    key: path.join('go', `${build.name}-${build.version}`),
    log: build.log,
    verify: async (candidate) => {
      for (const pkg of build.packages) {
        try {
          await run(path.join(candidate, 'bin', pkg.binary), build.versionArgs ?? ['--version']);
        } catch {
          return false;
        }
      }
      return true;
    },
    build: async (work) => {
      const env = await goEnv(build.component);
      const started = Date.now();
      build.log(
        `building ${build.packages.map((p) => p.binary).join(', ')} ${build.version} with go build (first run only; minutes)`,
      );
      await mkdir(path.join(work, 'src'), { recursive: true });
      await writeFile(path.join(work, 'src', 'go.mod'), wrapperGoMod(build));
      const args = ['build', '-trimpath', '-o', path.join(work, 'bin') + path.sep];
      if (build.ldflags !== undefined) args.push('-ldflags', build.ldflags);
      try {
        await run('go', ['mod', 'tidy'], { cwd: path.join(work, 'src'), env });
        await run('go', [...args, ...build.packages.map((p) => p.path)], {
          cwd: path.join(work, 'src'),
          env,
        });
        for (const pkg of build.packages) {
          const built = goDefaultBinaryName(pkg.path);
          if (built !== pkg.binary)
            await rename(path.join(work, 'bin', built), path.join(work, 'bin', pkg.binary));
        }
      } catch (error) {
        const output = error instanceof CommandFailed ? tail(error.output, 20) : String(error);
        throw new StackError(
          build.component,
          `go build of ${build.module}@${build.version} failed:\n${output}`,
          'check that the Go module proxy is reachable (go env GOPROXY) and that disk space is free, then retry',
          { cause: error },
        );
      }
      build.log(
        `built ${build.name} ${build.version} in ${Math.round((Date.now() - started) / 1000)} s`,
      );
    },
  });
  return path.join(dir, 'bin');
}

/** Downloads `module@version` from the Go module proxy (cached by go) and says where it is. */
export async function downloadModule(
  component: string,
  module: string,
  version: string,
): Promise<{ dir: string; goMod: string }> {
  const env = await goEnv(component);
  try {
    const { stdout } = await run('go', ['mod', 'download', '-json', `${module}@${version}`], {
      env,
    });
    const parsed = JSON.parse(stdout) as { Dir?: string; GoMod?: string };
    if (parsed.Dir === undefined || parsed.GoMod === undefined)
      throw new Error(`go mod download gave no folder for ${module}@${version}`);
    return { dir: parsed.Dir, goMod: parsed.GoMod };
  } catch (error) {
    throw new StackError(
      component,
      `cannot download ${module}@${version} from the Go module proxy: ${describeError(error)}`,
      'check that the Go module proxy is reachable (go env GOPROXY) and retry',
      { cause: error },
    );
  }
}

/** The go.mod text of `module@version`. */
export async function fetchGoMod(
  component: string,
  module: string,
  version: string,
): Promise<string> {
  return readFile((await downloadModule(component, module, version)).goMod, 'utf8');
}
