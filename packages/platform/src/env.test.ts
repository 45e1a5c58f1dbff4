import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { env } from './env.ts';

function issuesOf(schema: z.ZodType, input: string): string[] {
  const result = schema.safeParse(input);
  if (result.success) assert.fail(`${input} should be rejected`);
  return result.error.issues.map((issue) => issue.message);
}

describe('env.port', () => {
  it('accepts 1..65535 and rejects the rest', () => {
    assert.equal(env.port().parse('8080'), 8080);
    assert.equal(env.port().parse(' 1 '), 1);
    assert.equal(env.port().parse('65535'), 65_535);
    for (const bad of ['0', '65536', '-1', '80.5', '1e3', 'http', '', '0x50']) {
      assert.deepEqual(issuesOf(env.port(), bad), [
        'must be a TCP port (an integer from 1 to 65535)',
      ]);
    }
  });

  it('accepts 0 only when asked to', () => {
    assert.equal(env.port({ allowZero: true }).parse('0'), 0);
  });
});

describe('env.positiveInt and env.nonNegativeInt', () => {
  it('enforce their lower bound and an optional upper bound', () => {
    assert.equal(env.positiveInt().parse('12'), 12);
    issuesOf(env.positiveInt(), '0');
    issuesOf(env.positiveInt({ max: 10 }), '11');
    assert.equal(env.nonNegativeInt().parse('0'), 0);
    issuesOf(env.nonNegativeInt(), '-0');
    issuesOf(env.nonNegativeInt(), '99999999999999999999');
  });
});

describe('env.boolean', () => {
  it('reads true/false/1/0 in any case', () => {
    for (const yes of ['true', 'TRUE', '1', ' True ']) assert.equal(env.boolean().parse(yes), true);
    for (const no of ['false', 'False', '0']) assert.equal(env.boolean().parse(no), false);
  });

  it('rejects anything else instead of guessing', () => {
    for (const bad of ['yes', 'no', 'on', '2', '']) {
      assert.deepEqual(issuesOf(env.boolean(), bad), ['must be one of true, false, 1, 0']);
    }
  });
});

describe('env.duration and env.byteSize', () => {
  it('convert to milliseconds and bytes', () => {
    assert.equal(env.duration().parse('30s'), 30_000);
    assert.equal(env.byteSize().parse('1MiB'), 1_048_576);
  });

  it('report the unit problem as an issue', () => {
    assert.match(issuesOf(env.duration(), '30 seconds')[0] ?? '', /^invalid duration/);
    assert.match(issuesOf(env.byteSize(), '1 parsec')[0] ?? '', /^invalid byte size/);
  });

  it('apply a default written in the same syntax through prefault', () => {
    const schema = z.object({ TIMEOUT: env.duration().prefault('5m') });
    assert.deepEqual(schema.parse({}), { TIMEOUT: 300_000 });
  });
});

describe('env.list', () => {
  it('splits on commas, trims and drops empty items', () => {
    assert.deepEqual(env.list().parse('a, b,,c ,'), ['a', 'b', 'c']);
    assert.deepEqual(env.list().parse('kafka-0:9092'), ['kafka-0:9092']);
  });
});

describe('env.logLevel', () => {
  it('accepts pino level names in any case', () => {
    assert.equal(env.logLevel().parse('DEBUG'), 'debug');
    assert.equal(issuesOf(env.logLevel(), 'verbose').length, 1);
  });
});
