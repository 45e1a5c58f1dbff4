import { pino, stdTimeFunctions } from 'pino';
import type { DestinationStream, Level, LevelWithSilent, Logger } from 'pino';
import pinoPretty from 'pino-pretty';

export type { Logger } from 'pino';

/** Paths whose values never reach a log line: credentials and event payloads. */
export const REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'apiKey',
  'apiKeys',
  'password',
  'properties',
  'context',
  '*.apiKey',
  '*.apiKeys',
  '*.password',
  '*.properties',
  '*.context',
  'events[*].properties',
  'events[*].context',
  '*.events[*].properties',
  '*.events[*].context',
];

export const REDACTED = '[Redacted]';

export interface LoggerOptions {
  readonly name: string;
  readonly level?: LevelWithSilent;
  /** Human-readable, colored lines for local development (JSON lines otherwise). */
  readonly pretty?: boolean;
  /** Where lines go; standard output when omitted. */
  readonly destination?: DestinationStream | NodeJS.WritableStream;
}

/** The one root logger of a process; components take `logger.child({ component })`. */
export function createLogger({
  name,
  level = 'info',
  pretty = false,
  destination,
}: LoggerOptions): Logger {
  const options = {
    name,
    level,
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  if (pretty) {
    const prettyOptions = { colorize: destination === undefined, translateTime: 'SYS:HH:MM:ss.l' };
    return pino(
      options,
      pinoPretty(destination === undefined ? prettyOptions : { ...prettyOptions, destination }),
    );
  }
  return destination === undefined ? pino(options) : pino(options, destination);
}

export type { Level, LevelWithSilent };
