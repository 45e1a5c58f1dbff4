// The dedup consumer's CPU per fetched record before its own code runs: kafkajs decoding a fetch's
// record batches (and decompressing them), with kafkajs's own decoder and with the one-pass
// decoder createKafkaClient installs, on the same batches, in one process and without I/O.
import { createRequire } from 'node:module';
import {
  type BatchDecoderFn,
  type KafkajsDecoder,
  loadRecordDecoders,
} from '../packages/platform/src/kafka/kafkajs-record-decoder.ts';
import { loadRecordEncoders } from '../packages/platform/src/kafka/kafkajs-record-encoder.ts';
import { registerZstdCodec } from '../packages/platform/src/kafka/zstd-codec.ts';
import { cpuBestRound } from './cpu-best-round.ts';
import { benchMessages } from './event-path-stages.ts';

const require = createRequire(import.meta.url);
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (
  buffer: Buffer,
) => KafkajsDecoder;
const CODECS = { none: 0, gzip: 1, zstd: 4 } as const;
/** Records per produce batch: what ingest's producer sends under batch load (1,000 at most). */
const RECORDS_PER_BATCH = 1_000;

export interface DecodeRow {
  readonly codec: keyof typeof CODECS;
  /** Best round, µs of CPU per record, to 0.01. */
  readonly kafkajsUs: number;
  readonly onePassUs: number;
  readonly batchBytes: number;
}

export interface FetchDecodeResult {
  readonly records: number;
  readonly rows: readonly DecodeRow[];
  /** Whether both decoders returned equal records for every codec. */
  readonly decodersAgree: boolean;
}

export async function measureFetchDecode({
  rounds,
  iterations,
  records = RECORDS_PER_BATCH,
}: {
  readonly rounds: number;
  readonly iterations: number;
  readonly records?: number;
}): Promise<FetchDecodeResult> {
  registerZstdCodec();
  const { originalRecord, originalRecordBatch } = loadRecordEncoders();
  const { originalBatchDecoder, fastBatchDecoder } = loadRecordDecoders();
  const messages = benchMessages(records);

  const best = (work: () => Promise<unknown>): Promise<number> =>
    cpuBestRound({ rounds, iterations, units: records }, work);

  const rows: DecodeRow[] = [];
  let decodersAgree = true;
  for (const codec of Object.keys(CODECS) as (keyof typeof CODECS)[]) {
    const batch = (await originalRecordBatch({
      compression: CODECS[codec],
      records: messages.map((message, offsetDelta) =>
        originalRecord({ offsetDelta, timestampDelta: offsetDelta, ...message }),
      ),
      firstOffset: '123456789',
      firstTimestamp: Date.now(),
      maxTimestamp: Date.now(),
      lastOffsetDelta: records - 1,
    })) as { buffer: Buffer };
    const decode = (decoder: BatchDecoderFn) => decoder(new Decoder(batch.buffer));
    const theirs = (await decode(originalBatchDecoder)) as { records: unknown[] };
    const ours = (await decode(fastBatchDecoder)) as { records: unknown[] };
    if (theirs.records.length !== records || JSON.stringify(ours) !== JSON.stringify(theirs))
      decodersAgree = false;
    rows.push({
      codec,
      kafkajsUs: await best(() => decode(originalBatchDecoder)),
      onePassUs: await best(() => decode(fastBatchDecoder)),
      batchBytes: batch.buffer.length,
    });
  }
  return { records, rows, decodersAgree };
}
