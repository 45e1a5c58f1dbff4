import { open, rename, rm, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Flushes a file's data to disk. */
export async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Flushes a directory's entries (a rename or unlink inside it) to disk. */
export async function fsyncDir(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsync the file, rename it into place, fsync the directory: after this the file survives a crash. */
export async function publishFile(tempPath: string, finalPath: string): Promise<void> {
  await fsyncFile(tempPath);
  await rename(tempPath, finalPath);
  await fsyncDir(dirname(finalPath));
}

/** Removes a file and makes the removal durable. */
export async function removeDurably(path: string): Promise<void> {
  await rm(path, { force: true });
  await fsyncDir(dirname(path));
}

export async function ensureDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true });
}
