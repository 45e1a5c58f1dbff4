/**
 * Durations ("500ms", "30s", "5m", "24h", "7d") and byte sizes ("1MiB", "32KiB", "512KB", "100")
 * as integers. Arithmetic is exact (BigInt), so "0.1s" is 100 and never 100.00000000000001.
 * Error messages never contain the rejected text: callers decide whether the value may be shown.
 */

export class UnitParseError extends Error {
  override readonly name = 'UnitParseError';
}

const MAX_INPUT_LENGTH = 64;
const MAX_RESULT = BigInt(Number.MAX_SAFE_INTEGER);
const NUMBER_AND_UNIT = /^(\d+)(?:\.(\d+))?([A-Za-z]*)$/;

const DURATION_UNITS: ReadonlyMap<string, bigint> = new Map([
  ['ms', 1n],
  ['s', 1_000n],
  ['m', 60_000n],
  ['h', 3_600_000n],
  ['d', 86_400_000n],
]);
const DURATION_UNIT_LIST = 'ms, s, m, h or d';

const BYTE_UNITS: ReadonlyMap<string, bigint> = new Map([
  ['', 1n],
  ['b', 1n],
  ['kb', 1_000n],
  ['mb', 1_000_000n],
  ['gb', 1_000_000_000n],
  ['tb', 1_000_000_000_000n],
  ['ki', 1n << 10n],
  ['kib', 1n << 10n],
  ['mi', 1n << 20n],
  ['mib', 1n << 20n],
  ['gi', 1n << 30n],
  ['gib', 1n << 30n],
  ['ti', 1n << 40n],
  ['tib', 1n << 40n],
]);
const BYTE_UNIT_LIST = 'B, KB, MB, GB, TB, KiB, MiB, GiB or TiB';

/** Milliseconds in a duration such as "500ms", "30s", "1.5h" or "7d". */
export function parseDuration(text: string): number {
  return parseQuantity(text, {
    kind: 'duration',
    example: '"30s"',
    unitOf: (unit) => {
      if (unit === '')
        throw new UnitParseError(
          `invalid duration: missing unit (${DURATION_UNIT_LIST}), e.g. "30s"`,
        );
      return DURATION_UNITS.get(unit);
    },
    unitList: DURATION_UNIT_LIST,
    smallest: 'millisecond',
  });
}

/** Bytes in a size such as "1MiB", "32KiB", "512KB" or "100" (plain bytes). */
export function parseByteSize(text: string): number {
  return parseQuantity(text, {
    kind: 'byte size',
    example: '"1MiB"',
    unitOf: (unit) => BYTE_UNITS.get(unit.toLowerCase()),
    unitList: BYTE_UNIT_LIST,
    smallest: 'byte',
  });
}

/** The shortest exact text for a duration: 90000 -> "90s", 86400000 -> "1d", 1500 -> "1500ms". */
export function formatDuration(ms: number): string {
  assertCount(ms, 'duration');
  return formatExact(ms, [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
    ['ms', 1],
  ]);
}

/** The shortest exact text for a byte count: 1048576 -> "1MiB", 512000 -> "500KiB", 100 -> "100B". */
export function formatByteSize(bytes: number): string {
  assertCount(bytes, 'byte size');
  return formatExact(bytes, [
    ['TiB', 2 ** 40],
    ['TB', 1e12],
    ['GiB', 2 ** 30],
    ['GB', 1e9],
    ['MiB', 2 ** 20],
    ['MB', 1e6],
    ['KiB', 2 ** 10],
    ['KB', 1e3],
    ['B', 1],
  ]);
}

interface QuantityGrammar {
  readonly kind: string;
  readonly example: string;
  readonly unitOf: (unit: string) => bigint | undefined;
  readonly unitList: string;
  readonly smallest: string;
}

function parseQuantity(raw: string, grammar: QuantityGrammar): number {
  const { kind, example } = grammar;
  const text = raw.trim();
  if (text === '') throw new UnitParseError(`invalid ${kind}: empty, expected e.g. ${example}`);
  if (text.length > MAX_INPUT_LENGTH) {
    throw new UnitParseError(`invalid ${kind}: longer than ${MAX_INPUT_LENGTH} characters`);
  }
  const match = NUMBER_AND_UNIT.exec(text);
  if (match === null) {
    throw new UnitParseError(
      `invalid ${kind}: expected a non-negative number followed by a unit (${grammar.unitList}), e.g. ${example}`,
    );
  }
  const [, whole = '', fraction = '', unit = ''] = match;
  const factor = grammar.unitOf(unit);
  if (factor === undefined) {
    throw new UnitParseError(`invalid ${kind}: unknown unit, expected one of ${grammar.unitList}`);
  }
  const scale = 10n ** BigInt(fraction.length);
  const scaled = (BigInt(whole) * scale + BigInt(fraction === '' ? '0' : fraction)) * factor;
  if (scaled % scale !== 0n) {
    throw new UnitParseError(`invalid ${kind}: must be a whole number of ${grammar.smallest}s`);
  }
  const result = scaled / scale;
  if (result > MAX_RESULT) throw new UnitParseError(`invalid ${kind}: too large`);
  return Number(result);
}

function assertCount(value: number, kind: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${kind} must be a non-negative safe integer, got ${value}`);
  }
}

function formatExact(value: number, units: readonly (readonly [string, number])[]): string {
  if (value === 0) return `0${units.at(-1)?.[0] ?? ''}`;
  for (const [unit, factor] of units) {
    if (value % factor === 0) return `${value / factor}${unit}`;
  }
  return String(value);
}
