import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

/** main.ts with only these variables; configuration errors end it before it connects anywhere. */
function runMain(env: Record<string, string>) {
  return spawnSync(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
}

const required = {
  KAFKA_BROKERS: '127.0.0.1:1',
  KAFKA_TOPIC: 'events',
  PIPELINE_NAME: 'p',
  DATABASE_URL: 'postgres://u@127.0.0.1:1/db',
};

describe('dedup consumer configuration', () => {
  it('refuses the renamed BATCH_MAX_BYTES_PER_PARTITION and names its new name', () => {
    const run = runMain({ ...required, BATCH_MAX_BYTES_PER_PARTITION: '4MiB' });
    assert.equal(run.status, 1);
    assert.match(
      run.stderr,
      /BATCH_MAX_BYTES_PER_PARTITION: renamed: set FETCH_MAX_BYTES_PER_PARTITION/,
    );
  });

  it('names a bad fetch size', () => {
    const run = runMain({ ...required, FETCH_MAX_BYTES: 'lots' });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /FETCH_MAX_BYTES: invalid byte size/);
    assert.doesNotMatch(run.stderr, /BATCH_MAX_BYTES_PER_PARTITION/);
  });
});
