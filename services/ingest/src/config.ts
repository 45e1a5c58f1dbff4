import { z } from 'zod';
import {
  DEFAULT_COMPRESS_MIN_BYTES,
  EVENT_COMPRESSIONS,
  MAX_JSON_DEPTH,
  env,
  formatByteSize,
} from '@event-pipeline/platform';

/**
 * Idempotent producers side by side unless KAFKA_PRODUCER_LANES says otherwise. 2 since the
 * prepare thread: with it, 4 lanes sent smaller produce requests (200-235 messages against
 * 380-480) and carried fewer batched events/s in three alternated pairs (docs/ingest.md).
 */
export const DEFAULT_PRODUCER_LANES = 2;

/** Every environment variable ingest reads; main.ts parses it once with parseConfig. */
export const ingestConfigSchema = z
  .object({
    PIPELINE_NAME: z.string().min(1).max(253),
    KAFKA_BROKERS: env.list().pipe(z.array(z.string()).min(1)),
    KAFKA_TOPIC: z.string().min(1).max(249),
    KAFKA_CLIENT_ID: z.string().min(1).default('ingest'),
    KAFKA_COMPRESSION: z.enum(EVENT_COMPRESSIONS).default('zstd'),
    /** Produce batches smaller than this (uncompressed) go uncompressed. */
    KAFKA_COMPRESSION_MIN_BATCH_BYTES: env
      .byteSize()
      .prefault(formatByteSize(DEFAULT_COMPRESS_MIN_BYTES)),
    KAFKA_LINGER: env.duration().prefault('2ms'),
    KAFKA_BATCH_MESSAGES: env.positiveInt({ max: 100_000 }).prefault('1000'),
    KAFKA_BATCH_BYTES: env.byteSize().prefault('768KiB'),
    KAFKA_BUFFER_MESSAGES: env.positiveInt().prefault('50000'),
    KAFKA_SEND_TIMEOUT: env.duration().prefault('10s'),
    /** Idempotent producers side by side (one request in flight each); a key keeps its lane. */
    KAFKA_PRODUCER_LANES: env.positiveInt({ max: 16 }).prefault(String(DEFAULT_PRODUCER_LANES)),
    REDIS_URL: z.string().min(1),
    REDIS_KEY_PREFIX: z.string().default('ingest:'),
    API_KEYS_FILE: z.string().min(1).optional(),
    API_KEYS: env.list().optional(),
    RATE_LIMIT_EVENTS_PER_SECOND: env.positiveInt().prefault('1000'),
    RATE_LIMIT_BURST: env.positiveInt().prefault('2000'),
    RATE_LIMIT_BY: z.enum(['apiKey', 'ip']).default('apiKey'),
    RATE_LIMIT_REDIS_DOWN: z.enum(['open', 'closed']).default('open'),
    MAX_BODY_BYTES: env.byteSize().prefault('1MiB'),
    MAX_DECOMPRESSED_BYTES: env.byteSize().optional(),
    MAX_EVENT_BYTES: env.byteSize().prefault('32KiB'),
    MAX_BATCH_EVENTS: env.positiveInt({ max: 100_000 }).prefault('500'),
    MAX_NESTING_DEPTH: env.positiveInt({ max: MAX_JSON_DEPTH }).prefault(String(MAX_JSON_DEPTH)),
    MAX_STRING_LENGTH: env.positiveInt().prefault('8192'),
    IDEMPOTENCY_TTL: env.duration().prefault('24h'),
    TRUST_PROXY: env.boolean().prefault('false'),
    /** Worker threads that parse, validate and encode batches: a number, or auto (prepare-pool.ts). */
    PREPARE_THREADS: z.union([z.literal('auto'), env.nonNegativeInt({ max: 16 })]).default('auto'),
    PORT: env.port({ allowZero: true }).prefault('8080'),
    HOST: z.string().default('0.0.0.0'),
    SHUTDOWN_TIMEOUT: env.duration().prefault('25s'),
    LOG_LEVEL: env.logLevel().default('info'),
    LOG_PRETTY: env.boolean().prefault('false'),
  })
  .refine((config) => config.API_KEYS_FILE !== undefined || config.API_KEYS !== undefined, {
    message: 'set API_KEYS_FILE (one key per line) or API_KEYS (comma-separated)',
  });

export type IngestEnv = z.output<typeof ingestConfigSchema>;

/** What the app needs to know, independent of where it came from. */
export interface IngestConfig {
  readonly pipeline: string;
  readonly limits: Limits;
  readonly rateLimitBy: 'apiKey' | 'ip';
  readonly trustProxy: boolean;
  /** Worker threads for parse/validate/encode (startIngest); 0 or omitted: the event loop. */
  readonly prepareThreads?: number;
}

export interface Limits {
  /** Bytes of the request body as sent (compressed or not): 413 above. */
  readonly maxBodyBytes: number;
  /** Bytes of a gzip body once decompressed: 413 above. */
  readonly maxDecompressedBytes: number;
  /** Bytes of one event's JSON: that event is rejected above. */
  readonly maxEventBytes: number;
  readonly maxBatchEvents: number;
  /** Levels of nesting in properties and context, the object itself included. */
  readonly maxNestingDepth: number;
  /** Characters of any string inside properties and context (field strings have their own). */
  readonly maxStringLength: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxBodyBytes: 1024 * 1024,
  maxDecompressedBytes: 4 * 1024 * 1024,
  maxEventBytes: 32 * 1024,
  maxBatchEvents: 500,
  maxNestingDepth: MAX_JSON_DEPTH,
  maxStringLength: 8192,
};

export function limitsOf(config: IngestEnv): Limits {
  return {
    maxBodyBytes: config.MAX_BODY_BYTES,
    maxDecompressedBytes: config.MAX_DECOMPRESSED_BYTES ?? config.MAX_BODY_BYTES * 4,
    maxEventBytes: config.MAX_EVENT_BYTES,
    maxBatchEvents: config.MAX_BATCH_EVENTS,
    maxNestingDepth: config.MAX_NESTING_DEPTH,
    maxStringLength: config.MAX_STRING_LENGTH,
  };
}
