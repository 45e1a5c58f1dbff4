import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  UnitParseError,
  formatByteSize,
  formatDuration,
  parseByteSize,
  parseDuration,
} from './units.ts';

const DURATION_FACTORS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const BYTE_FACTORS = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: 2 ** 30,
  TiB: 2 ** 40,
} as const;

const safeCount = fc.maxSafeNat();

describe('parseDuration', () => {
  it('reads the documented examples', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('24h'), 86_400_000);
    assert.equal(parseDuration('7d'), 604_800_000);
    assert.equal(parseDuration(' 1.5h '), 5_400_000);
    assert.equal(parseDuration('0.1s'), 100);
    assert.equal(parseDuration('0s'), 0);
  });

  it('multiplies any whole count by its unit exactly', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.entries(DURATION_FACTORS)),
        safeCount,
        ([unit, factor], n) => {
          const count = Math.floor(n / factor);
          assert.equal(parseDuration(`${count}${unit}`), count * factor);
        },
      ),
    );
  });

  it('round-trips through formatDuration', () => {
    fc.assert(
      fc.property(safeCount, (ms) => {
        assert.equal(parseDuration(formatDuration(ms)), ms);
      }),
    );
  });

  it('rejects garbage with a message that names the problem but not the input', () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['45', /missing unit/],
      ['-5s', /non-negative number followed by a unit/],
      ['5 s', /non-negative number followed by a unit/],
      ['1e3s', /non-negative number followed by a unit/],
      ['5x', /unknown unit/],
      ['5S', /unknown unit/],
      ['5constructor', /unknown unit/],
      ['0.5ms', /whole number of milliseconds/],
      ['NaNs', /non-negative number followed by a unit/],
      ['Infinityms', /non-negative number followed by a unit/],
      ['99999999999999999999d', /too large/],
      [`${'9'.repeat(70)}ms`, /longer than 64/],
    ];
    for (const [text, reason] of cases) {
      assert.throws(
        () => parseDuration(text),
        (error: unknown) => {
          assert.ok(error instanceof UnitParseError, `${text}: ${String(error)}`);
          assert.match(error.message, /^invalid duration: /);
          assert.match(error.message, reason, text);
          if (text.trim() !== '') assert.ok(!error.message.includes(text), error.message);
          return true;
        },
      );
    }
  });

  it('never returns NaN, a negative or an unsafe number for any text', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.stringMatching(/^\d{0,20}(\.\d{0,5})?(ms|s|m|h|d|x)?$/)),
        (text) => {
          let result: number;
          try {
            result = parseDuration(text);
          } catch (error) {
            assert.ok(error instanceof UnitParseError);
            return;
          }
          assert.ok(Number.isSafeInteger(result) && result >= 0, `${text} -> ${result}`);
        },
      ),
    );
  });
});

describe('formatDuration', () => {
  it('picks the largest unit that divides exactly', () => {
    assert.equal(formatDuration(0), '0ms');
    assert.equal(formatDuration(1_500), '1500ms');
    assert.equal(formatDuration(90_000), '90s');
    assert.equal(formatDuration(3_600_000), '1h');
    assert.equal(formatDuration(604_800_000), '7d');
  });

  it('refuses values that are not a count of milliseconds', () => {
    for (const bad of [-1, 0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      assert.throws(() => formatDuration(bad), RangeError);
    }
  });
});

describe('parseByteSize', () => {
  it('reads the documented examples', () => {
    assert.equal(parseByteSize('1MiB'), 1_048_576);
    assert.equal(parseByteSize('32KiB'), 32_768);
    assert.equal(parseByteSize('512KB'), 512_000);
    assert.equal(parseByteSize('100'), 100);
    assert.equal(parseByteSize('100B'), 100);
    assert.equal(parseByteSize('1.5KiB'), 1_536);
    assert.equal(parseByteSize('2Mi'), 2_097_152);
    assert.equal(parseByteSize('1mib'), 1_048_576);
  });

  it('multiplies any whole count by its unit exactly', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.entries(BYTE_FACTORS)),
        safeCount,
        ([unit, factor], n) => {
          const count = Math.floor(n / factor);
          assert.equal(parseByteSize(`${count}${unit}`), count * factor);
        },
      ),
    );
  });

  it('round-trips through formatByteSize', () => {
    fc.assert(
      fc.property(safeCount, (bytes) => {
        assert.equal(parseByteSize(formatByteSize(bytes)), bytes);
      }),
    );
  });

  it('rejects garbage with a message that names the problem', () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['-1', /non-negative number/],
      ['1 MiB', /non-negative number/],
      ['1XB', /unknown unit/],
      ['1toString', /unknown unit/],
      ['0.5B', /whole number of bytes/],
      ['99999999TiB', /too large/],
    ];
    for (const [text, reason] of cases) {
      assert.throws(
        () => parseByteSize(text),
        (error: unknown) =>
          error instanceof UnitParseError &&
          error.message.startsWith('invalid byte size: ') &&
          reason.test(error.message),
        text,
      );
    }
  });

  it('never returns NaN, a negative or an unsafe number for any text', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.stringMatching(/^\d{0,20}(\.\d{0,5})?([KMGT]i?B?|B)?$/)),
        (text) => {
          let result: number;
          try {
            result = parseByteSize(text);
          } catch (error) {
            assert.ok(error instanceof UnitParseError);
            return;
          }
          assert.ok(Number.isSafeInteger(result) && result >= 0, `${text} -> ${result}`);
        },
      ),
    );
  });
});

describe('formatByteSize', () => {
  it('picks the largest unit that divides exactly', () => {
    assert.equal(formatByteSize(0), '0B');
    assert.equal(formatByteSize(100), '100B');
    assert.equal(formatByteSize(1_048_576), '1MiB');
    assert.equal(formatByteSize(2_000_000), '2MB');
    assert.equal(formatByteSize(1_536), '1536B');
  });
});
