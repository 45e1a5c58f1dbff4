import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { versions } from '@event-pipeline/stack';
import { setting } from '../support/stack.ts';

const exec = promisify(execFile);

describe('command-line tools from the stack', () => {
  it('helm reports the version it was built as', async () => {
    const { stdout } = await exec(await setting('HELM'), ['version', '--short']);
    assert.match(stdout, new RegExp(`^${versions.helm.replaceAll('.', '\\.')}`));
  });

  it('helm-docs and helm-unittest run, helm-docs at the pinned version', async () => {
    const { stdout } = await exec(await setting('HELM_DOCS'), ['--version']);
    assert.match(stdout, new RegExp(versions.helmDocs.replace(/^v/, '').replaceAll('.', '\\.')));
    const help = await exec(await setting('HELM_UNITTEST'), ['--help']);
    assert.match(help.stdout, /unittest \[flags\] CHART/);
  });

  it('promtool accepts a valid rule file and rejects a broken one', async () => {
    const promtool = await setting('PROMTOOL');
    const dir = await mkdtemp(path.join(tmpdir(), 'promtool-'));
    const good = path.join(dir, 'good.yaml');
    const bad = path.join(dir, 'bad.yaml');
    await writeFile(
      good,
      'groups:\n  - name: g\n    rules:\n      - alert: Up\n        expr: up == 0\n',
    );
    await writeFile(
      bad,
      'groups:\n  - name: g\n    rules:\n      - alert: Up\n        expr: up ==\n',
    );
    await exec(promtool, ['check', 'rules', good]);
    await assert.rejects(exec(promtool, ['check', 'rules', bad]));
  });
});
