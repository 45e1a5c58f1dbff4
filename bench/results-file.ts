// Where every benchmark writes its JSON: bench/results/<name>.json (not committed; the directory is
// made on first use, so a fresh clone can run any benchmark).
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const RESULTS_DIR = new URL('./results/', import.meta.url);

/** Writes `result` as JSON to bench/results/<name>.json and returns the file's path. */
export async function writeResults(name: string, result: unknown): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const file = new URL(`${name}.json`, RESULTS_DIR);
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  return fileURLToPath(file);
}
