import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { z } from 'zod';
import { ConfigError, isSecretName, parseConfig, showableValue } from './config.ts';
import { env } from './env.ts';

const schema = z.object({
  PORT: env.port().default(8080),
  KAFKA_BROKERS: env.list(),
  DEDUP_WINDOW: env.duration().prefault('24h'),
  API_KEY_PEPPER: z.string().min(32),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  DEBUG: env.boolean().default(false),
});

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error;
  }
  assert.fail('expected a ConfigError');
}

describe('parseConfig', () => {
  it('returns typed values with defaults applied', () => {
    const config = parseConfig(schema, {
      KAFKA_BROKERS: 'a:9092,b:9092',
      API_KEY_PEPPER: 'p'.repeat(32),
      DATABASE_URL: 'postgres://app:pw@db:5432/events',
      UNRELATED: 'ignored',
    });
    assert.deepEqual(config, {
      PORT: 8080,
      KAFKA_BROKERS: ['a:9092', 'b:9092'],
      DEDUP_WINDOW: 86_400_000,
      API_KEY_PEPPER: 'p'.repeat(32),
      DATABASE_URL: 'postgres://app:pw@db:5432/events',
      DEBUG: false,
    });
  });

  it('treats empty variables as unset so defaults apply', () => {
    const config = parseConfig(z.object({ PORT: env.port().default(8080) }), { PORT: '' });
    assert.equal(config.PORT, 8080);
  });

  it('lists every bad variable by name with its reason', () => {
    const error = configErrorOf(() =>
      parseConfig(schema, { PORT: 'eighty', DEDUP_WINDOW: '1 day', DEBUG: 'yes' }),
    );
    assert.deepEqual(
      error.problems.map((problem) => problem.variable),
      ['PORT', 'KAFKA_BROKERS', 'DEDUP_WINDOW', 'API_KEY_PEPPER', 'DATABASE_URL', 'DEBUG'],
    );
    assert.match(error.message, /^invalid configuration \(6 problems\):/);
    assert.match(error.message, /PORT: must be a TCP port .* \(got "eighty"\)/);
    assert.match(error.message, /KAFKA_BROKERS: is required but not set/);
    assert.match(error.message, /DEDUP_WINDOW: invalid duration: .* \(got "1 day"\)/);
    assert.match(error.message, /DEBUG: must be one of true, false, 1, 0 \(got "yes"\)/);
  });

  it('names a rule over several variables as (config)', () => {
    const paired = z
      .object({ A: z.string().optional(), B: z.string().optional() })
      .refine((config) => config.A !== undefined || config.B !== undefined, 'set A or B');
    const error = configErrorOf(() => parseConfig(paired, {}));
    assert.deepEqual(error.problems, [{ variable: '(config)', reason: 'set A or B' }]);
  });

  it('never shows the value of a secret-looking variable', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('API_KEY_PEPPER', 'JWT_SECRET', 'DB_PASSWORD', 'GITHUB_TOKEN'),
        fc.string({ minLength: 1, maxLength: 20 }),
        (name, tail) => {
          const secret = `S3CR3T-${tail}`;
          const error = configErrorOf(() =>
            parseConfig(z.object({ [name]: env.positiveInt() }), { [name]: secret }),
          );
          assert.ok(!error.message.includes('S3CR3T'), error.message);
          assert.match(error.message, /value hidden/);
        },
      ),
    );
  });

  it('masks credentials inside URLs it shows', () => {
    const error = configErrorOf(() =>
      parseConfig(z.object({ REDIS_URL: z.url({ protocol: /^rediss?$/ }) }), {
        REDIS_URL: 'http://user:p@ss/word@redis:6379',
      }),
    );
    assert.ok(!error.message.includes('p@ss'), error.message);
    assert.ok(!error.message.includes('user'), error.message);
    assert.match(error.message, /got "http:\/\/\*\*\*@redis:6379"/);
  });
});

describe('isSecretName and showableValue', () => {
  it('hide names containing KEY, SECRET, PASSWORD or TOKEN', () => {
    for (const name of ['API_KEYS', 'client_secret', 'PGPASSWORD', 'SLACK_TOKEN']) {
      assert.equal(isSecretName(name), true, name);
      assert.equal(showableValue(name, 'anything'), undefined);
    }
    assert.equal(isSecretName('PORT'), false);
  });

  it('shortens long values', () => {
    const shown = showableValue('BROKERS', 'x'.repeat(500)) ?? '';
    assert.ok(shown.length < 100, shown);
  });
});
