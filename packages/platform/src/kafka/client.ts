import { type Kafka, logLevel, type KafkaConfig, type LogEntry } from 'kafkajs';
import type { Logger } from 'pino';
import { kafkaClientWithLinearGrouping } from './kafkajs-message-grouping.ts';
import { installRecordDecoder } from './kafkajs-record-decoder.ts';
import { installRecordEncoder } from './kafkajs-record-encoder.ts';
import { registerZstdCodec } from './zstd-codec.ts';

export interface KafkaClientOptions {
  brokers: readonly string[];
  clientId: string;
  logger: Logger;
  /** Extra kafkajs settings (ssl, sasl, timeouts). */
  config?: Omit<KafkaConfig, 'brokers' | 'clientId' | 'logCreator' | 'logLevel'>;
}

type Level = 'error' | 'warn' | 'info' | 'debug';

const levels: Record<number, Level> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * Broker answers that kafkajs logs at error and then retries on its own: a broker starting up or a
 * leader moving. They happen on every deploy and broker restart, so they are warnings; a retry
 * that gives up surfaces as the operation's own error.
 */
const RETRIED_BROKER_ERRORS = new Set([
  "The coordinator is loading and hence can't process requests for this group",
  'The group coordinator is not available',
  'This is not the correct coordinator for this group',
  'There is no leader for this topic-partition as we are in the middle of a leadership election',
]);

/**
 * kafkajs says this for every idempotent producer with a retry limit. The limit is deliberate
 * where it is set (ingest bounds a produce so the client gets a 503 and retries; the dedup key
 * removes what had landed twice), so it is information, not a warning.
 */
const RETRY_LIMIT_NOTICE =
  'Limiting retries for the idempotent producer may invalidate EoS guarantees';

/** The pino level for a kafkajs log entry. */
export function kafkajsLogLevel(level: logLevel, message: string, error: unknown): Level {
  if (level === logLevel.ERROR && typeof error === 'string' && RETRIED_BROKER_ERRORS.has(error)) {
    return 'warn';
  }
  if (level === logLevel.WARN && message === RETRY_LIMIT_NOTICE) return 'info';
  return levels[level] ?? 'info';
}

/**
 * The one place a kafkajs client is made: its logs go through pino, at warn and above by default;
 * it produces and consumes zstd batches, produces through the one-buffer record encoder and
 * decodes fetches through the one-pass record decoder, and groups a send's messages by partition
 * in one pass.
 */
export function createKafkaClient(options: KafkaClientOptions): Kafka {
  const log = options.logger.child({ component: 'kafkajs' });
  registerZstdCodec();
  const encoder = installRecordEncoder();
  if (!encoder.installed)
    log.warn({ reason: encoder.reason }, 'one-buffer record encoder not used');
  const decoder = installRecordDecoder();
  if (!decoder.installed) log.warn({ reason: decoder.reason }, 'one-pass record decoder not used');
  const { patch: grouping, Client } = kafkaClientWithLinearGrouping();
  if (!grouping.installed)
    log.warn({ reason: grouping.reason }, 'one-pass message grouping not used');
  return new Client({
    ...options.config,
    brokers: [...options.brokers],
    clientId: options.clientId,
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ namespace, level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        log[kafkajsLogLevel(level, message, rest.error)]({ namespace, ...rest }, message);
      },
  });
}
