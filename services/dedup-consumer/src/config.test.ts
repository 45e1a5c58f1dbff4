import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseConfig } from '@event-pipeline/platform';
import {
  DEFAULT_FETCH_BYTES,
  DEFAULT_FETCH_BYTES_PER_PARTITION,
  dedupConsumerConfigSchema,
} from './config.ts';

const required = {
  KAFKA_BROKERS: '127.0.0.1:9092',
  KAFKA_TOPIC: 'events',
  PIPELINE_NAME: 'clickstream',
  DATABASE_URL: 'postgres://u@127.0.0.1:5432/db',
};

/** The problems parseConfig names, as "VARIABLE: message". */
function problemsOf(env: Record<string, string>): string[] {
  try {
    parseConfig(dedupConsumerConfigSchema, env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems.map((problem) => `${problem.variable}: ${problem.reason}`);
  }
  return [];
}

describe('dedup consumer configuration', () => {
  it('bounds fetches by default and takes sizes with units', () => {
    const config = parseConfig(dedupConsumerConfigSchema, required);
    assert.equal(config.FETCH_MAX_BYTES, DEFAULT_FETCH_BYTES);
    assert.equal(config.FETCH_MAX_BYTES_PER_PARTITION, DEFAULT_FETCH_BYTES_PER_PARTITION);
    const set = parseConfig(dedupConsumerConfigSchema, {
      ...required,
      FETCH_MAX_BYTES: '8MiB',
      FETCH_MAX_BYTES_PER_PARTITION: '512KiB',
    });
    assert.equal(set.FETCH_MAX_BYTES, 8 * 1024 * 1024);
    assert.equal(set.FETCH_MAX_BYTES_PER_PARTITION, 512 * 1024);
  });

  it('refuses the renamed BATCH_MAX_BYTES_PER_PARTITION and names its new name', () => {
    const [problem, ...others] = problemsOf({ ...required, BATCH_MAX_BYTES_PER_PARTITION: '4MiB' });
    assert.match(
      problem ?? '',
      /^BATCH_MAX_BYTES_PER_PARTITION: renamed: set FETCH_MAX_BYTES_PER_PARTITION/,
    );
    assert.deepEqual(others, []);
  });

  it('names a bad fetch size', () => {
    const problems = problemsOf({ ...required, FETCH_MAX_BYTES: 'lots' });
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /^FETCH_MAX_BYTES: invalid byte size/);
  });
});
