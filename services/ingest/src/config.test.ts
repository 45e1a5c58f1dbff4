import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseConfig } from '@event-pipeline/platform';
import { ingestConfigSchema, limitsOf } from './config.ts';

const required = {
  PIPELINE_NAME: 'clickstream',
  KAFKA_BROKERS: 'a:9092, b:9092',
  KAFKA_TOPIC: 'clickstream',
  REDIS_URL: 'redis://127.0.0.1:6379',
  API_KEYS: 'k1,k2',
};

describe('ingest configuration', () => {
  it('applies the documented defaults', () => {
    const config = parseConfig(ingestConfigSchema, required);
    assert.deepEqual(config.KAFKA_BROKERS, ['a:9092', 'b:9092']);
    assert.equal(config.RATE_LIMIT_BY, 'apiKey');
    assert.equal(config.RATE_LIMIT_REDIS_DOWN, 'open');
    assert.equal(config.PORT, 8080);
    assert.equal(config.IDEMPOTENCY_TTL, 24 * 3600_000);
    assert.equal(config.KAFKA_COMPRESSION, 'zstd');
    assert.equal(config.KAFKA_COMPRESSION_MIN_BATCH_BYTES, 32 * 1024);
    assert.equal(
      parseConfig(ingestConfigSchema, { ...required, KAFKA_COMPRESSION_MIN_BATCH_BYTES: '1MiB' })
        .KAFKA_COMPRESSION_MIN_BATCH_BYTES,
      1024 * 1024,
    );
    assert.deepEqual(limitsOf(config), {
      maxBodyBytes: 1024 * 1024,
      maxDecompressedBytes: 4 * 1024 * 1024,
      maxEventBytes: 32 * 1024,
      maxBatchEvents: 500,
      maxNestingDepth: 32,
      maxStringLength: 8192,
    });
  });

  it('refuses a configuration without keys or with bad values, naming each variable', () => {
    const withoutKeys = { ...required, API_KEYS: '' };
    assert.throws(() => parseConfig(ingestConfigSchema, withoutKeys), ConfigError);
    assert.throws(
      () =>
        parseConfig(ingestConfigSchema, {
          ...required,
          RATE_LIMIT_BY: 'user',
          MAX_BODY_BYTES: 'lots',
          MAX_NESTING_DEPTH: '40',
        }),
      (error: unknown) =>
        error instanceof ConfigError &&
        ['RATE_LIMIT_BY', 'MAX_BODY_BYTES', 'MAX_NESTING_DEPTH'].every((name) =>
          error.problems.some((problem) => problem.variable === name),
        ),
    );
  });
});
