import { z } from 'zod';
import { UnitParseError, parseByteSize, parseDuration } from './units.ts';

/**
 * zod schemas for environment variables: each takes the raw string and yields a typed value.
 * Defaults are written in the variable's own syntax with `.prefault()`, e.g.
 * `env.duration().prefault('30s')`, or in the output type with `.default(30_000)`.
 * Issue messages never repeat the input; parseConfig decides whether a value may be shown.
 */

class EnvValueError extends Error {}

const DIGITS = /^\d+$/;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function fromText<T>(parse: (text: string) => T) {
  return z.string().transform((raw, ctx): T => {
    try {
      return parse(raw.trim());
    } catch (error) {
      if (!(error instanceof EnvValueError || error instanceof UnitParseError)) throw error;
      ctx.issues.push({ code: 'custom', message: error.message, input: raw });
      return z.NEVER;
    }
  });
}

function integerIn(min: number, max: number, what: string): (text: string) => number {
  return (text) => {
    const value = DIGITS.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new EnvValueError(`must be ${what} (an integer from ${min} to ${max})`);
    }
    return value;
  };
}

export interface PortOptions {
  /** Accept 0, which asks the operating system for any free port. */
  readonly allowZero?: boolean;
}

export interface IntOptions {
  readonly max?: number;
}

export const env = {
  /** A TCP port, 1..65535 (0..65535 with allowZero). */
  port: ({ allowZero = false }: PortOptions = {}) =>
    fromText(integerIn(allowZero ? 0 : 1, 65_535, 'a TCP port')),

  /** An integer ≥ 1. */
  positiveInt: ({ max = Number.MAX_SAFE_INTEGER }: IntOptions = {}) =>
    fromText(integerIn(1, max, 'a positive integer')),

  /** An integer ≥ 0. */
  nonNegativeInt: ({ max = Number.MAX_SAFE_INTEGER }: IntOptions = {}) =>
    fromText(integerIn(0, max, 'a non-negative integer')),

  /** "true"/"false"/"1"/"0", any case. */
  boolean: () =>
    fromText((text) => {
      const normalized = text.toLowerCase();
      if (normalized === 'true' || normalized === '1') return true;
      if (normalized === 'false' || normalized === '0') return false;
      throw new EnvValueError('must be one of true, false, 1, 0');
    }),

  /** "500ms", "30s", "5m", "24h", "7d" → milliseconds. */
  duration: () => fromText(parseDuration),

  /** "1MiB", "32KiB", "512KB", "100" → bytes. */
  byteSize: () => fromText(parseByteSize),

  /** "a, b,,c" → ["a", "b", "c"]: items trimmed, empty items dropped. */
  list: () =>
    fromText((text) =>
      text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== ''),
    ),

  /** A pino level name, any case. */
  logLevel: () => z.string().trim().toLowerCase().pipe(z.enum(LOG_LEVELS)),
} as const;

export type LogLevelName = (typeof LOG_LEVELS)[number];
