import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cached } from './cache.ts';

const entry = (builds: string[], content = 'ok') => ({
  key: 'thing/v1',
  log: () => undefined,
  build: async (dir: string) => {
    builds.push(dir);
    await writeFile(path.join(dir, 'payload'), content);
  },
  verify: async (dir: string) =>
    (await readFile(path.join(dir, 'payload'), 'utf8').catch(() => '')) === 'ok',
});

describe('cached', () => {
  it('builds once, then reuses the verified entry', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'cache-'));
    const builds: string[] = [];
    const first = await cached(root, entry(builds));
    const second = await cached(root, entry(builds));
    assert.equal(first, second);
    assert.equal(builds.length, 1);
  });

  it('rebuilds an entry that no longer verifies', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'cache-'));
    const builds: string[] = [];
    const dir = await cached(root, entry(builds));
    await writeFile(path.join(dir, 'payload'), 'corrupt');
    await cached(root, entry(builds));
    assert.equal(builds.length, 2);
    assert.equal(await readFile(path.join(dir, 'payload'), 'utf8'), 'ok');
  });

  it('never publishes a build that fails verification, and leaves no partial folder', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'cache-'));
    await assert.rejects(cached(root, entry([], 'wrong')), /does not verify/);
    assert.deepEqual(await readdir(path.join(root, 'thing')), []);
  });
});
