import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { setting } from '../support/stack.ts';
import { chartDir, repoRoot } from './chart.ts';

const exec = promisify(execFile);

/** Templates that render objects (helpers excluded), relative to the chart. */
async function templates(dir = path.join(chartDir, 'templates')): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await templates(full)));
    else if (!entry.name.startsWith('_') && /\.(yaml|txt)$/.test(entry.name))
      out.push(path.relative(chartDir, full));
  }
  return out.sort();
}

describe('helm-unittest suites of the chart', () => {
  it('has a suite for every template', async () => {
    const suites = (await readdir(path.join(chartDir, 'tests'))).filter((f) =>
      f.endsWith('_test.yaml'),
    );
    const covered = new Set<string>();
    for (const file of suites) {
      const suite = parse(await readFile(path.join(chartDir, 'tests', file), 'utf8')) as {
        templates?: string[];
      };
      for (const t of suite.templates ?? []) covered.add(t);
    }
    // The monitoring templates have their own tests (test/monitoring).
    const mine = (await templates()).filter((t) => !t.startsWith('templates/monitoring/'));
    assert.ok(mine.length >= 10, `only ${mine.length} templates found`);
    for (const template of mine)
      assert.ok(covered.has(template), `no helm-unittest suite covers ${template}`);
  });

  it('passes every suite (charts/event-pipeline/tests/*_test.yaml)', async () => {
    const binary = await setting('HELM_UNITTEST');
    const result = await exec(binary, ['--color=false', '--file', 'tests/*_test.yaml', chartDir], {
      cwd: repoRoot,
      maxBuffer: 16 * 1024 * 1024,
    }).catch((error: unknown) => {
      const failed = error as { stdout?: string; stderr?: string };
      assert.fail(`helm-unittest failed:\n${failed.stdout ?? ''}${failed.stderr ?? ''}`);
    });
    const summary = /Test Suites:\s+(\d+) passed, (\d+) total/.exec(result.stdout);
    assert.ok(summary, `no summary in:\n${result.stdout}`);
    assert.equal(summary[1], summary[2]);
    assert.ok(Number(summary[2]) >= 10, `only ${summary[2]} suites ran`);
    assert.match(result.stdout, /Tests:\s+\d+ passed, \d+ total/);
  });
});
