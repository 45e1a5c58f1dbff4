// Zstandard for Kafka record batches, from Node's own zlib (zstd is built into Node 24), so no
// native add-on to build or ship. kafkajs has the codec slot (CompressionTypes.ZSTD) but no codec;
// it takes one through its public CompressionCodecs map, for producing and for consuming, so both
// ingest and the dedup consumer register it (createKafkaClient does).
//
// Kafka's zstd batches are plain zstd frames, as Node writes them: brokers (zstd-jni) and Java,
// librdkafka and Go clients read what this writes, and it reads theirs.
//
// Synchronous, on the calling thread: zlib's asynchronous zstd (libuv's thread pool) took about
// twice the CPU per batch in a micro-benchmark (469 against 202 µs for 46 KB of event JSON, 4.0
// against 2.5 ms for 554 KB), and ingest's CPU per batched event was lower with the synchronous
// codec in both alternated `make bench-ingest` pairs (docs/ingest.md). The thread is held for
// about 4.5 ns per byte: 3.5 ms for a full 768 KiB produce batch.
import { constants, zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import kafkajs from 'kafkajs';

// kafkajs is CommonJS and its exports object is assigned in a way Node cannot name statically.
const { CompressionCodecs, CompressionTypes } = kafkajs;

/**
 * Level 1, not zstd's (and the Kafka Java client's) default 3: on ingest's stored events level 1
 * took 35-50 % less time and its batches came out smaller too (250 events, 160 KB: 204 against
 * 309 µs, 19,426 against 22,456 bytes; 1,000 events, 640 KB: 668 against 1,361 µs, 75,905 against
 * 82,835 bytes; experiment 2026-12-03, docs/ingest.md).
 */
export const ZSTD_LEVEL = 1;

/** kafkajs's codec shape: compress gets its Encoder (the records' bytes in `.buffer`). */
export interface KafkajsCodec {
  compress(encoder: { readonly buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

/** The work's result as a promise, and its error as a rejection (as kafkajs's codecs give them). */
function settle<T>(work: () => T): Promise<T> {
  return new Promise<T>((resolve) => {
    resolve(work());
  });
}

export function zstdCodec(level = ZSTD_LEVEL): KafkajsCodec {
  const params = { [constants.ZSTD_c_compressionLevel]: level };
  return {
    compress: (encoder) => settle(() => zstdCompressSync(encoder.buffer, { params })),
    decompress: (buffer) => settle(() => zstdDecompressSync(buffer)),
  };
}

/** Makes kafkajs produce and consume zstd batches; idempotent. */
export function registerZstdCodec(): void {
  const codec = zstdCodec();
  CompressionCodecs[CompressionTypes.ZSTD] = () => codec;
}
