import { mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';

export interface CachedBuild {
  /** Directory name under the cache, e.g. `go/kubernetes-v1.36.3`: the version is the key. */
  key: string;
  /** Fills an empty directory. */
  build: (dir: string) => Promise<void>;
  /** True when a directory holds a complete, working result. */
  verify: (dir: string) => Promise<boolean>;
  log: (line: string) => void;
}

/**
 * Returns the cached directory for `key`, building it first when absent. A build happens in a
 * temporary sibling and is renamed into place only after it verifies, so an interrupted build never
 * becomes a cache entry; an entry that fails verification (corrupt, truncated) is rebuilt.
 */
export async function cached(cacheRoot: string, entry: CachedBuild): Promise<string> {
  const dir = path.join(cacheRoot, entry.key);
  if (await exists(dir)) {
    if (await entry.verify(dir)) return dir;
    entry.log(`cache entry ${dir} is incomplete or corrupt; rebuilding it`);
    await rm(dir, { recursive: true, force: true });
  }
  await mkdir(path.dirname(dir), { recursive: true });
  const tmp = await mkdtemp(`${dir}.partial-`);
  try {
    await entry.build(tmp);
    if (!(await entry.verify(tmp))) {
      throw new Error(
        `the build of ${entry.key} finished but its result does not verify (see above)`,
      );
    }
    try {
      await rename(tmp, dir);
    } catch (error) {
      // Another process finished the same build first; keep theirs if it verifies.
      if (!(await exists(dir)) || !(await entry.verify(dir))) throw error;
    }
    return dir;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
