// Zstandard for Kafka record batches, from Node's own zlib (zstd is built into Node 24), so no
// native add-on to build or ship. kafkajs has the codec slot (CompressionTypes.ZSTD) but no codec;
// it takes one through its public CompressionCodecs map, for producing and for consuming, so both
// ingest and the dedup consumer register it (createKafkaClient does).
//
// Kafka's zstd batches are plain zstd frames, as Node writes them: brokers (zstd-jni) and Java,
// librdkafka and Go clients read what this writes, and it reads theirs.
import { promisify } from 'node:util';
import { constants, zstdCompress, zstdDecompress } from 'node:zlib';
import kafkajs from 'kafkajs';

// kafkajs is CommonJS and its exports object is assigned in a way Node cannot name statically.
const { CompressionCodecs, CompressionTypes } = kafkajs;

const compress = promisify(zstdCompress);
const decompress = promisify(zstdDecompress);

/** zstd's default level, and the Kafka Java client's. */
export const ZSTD_LEVEL = 3;

/** kafkajs's codec shape: compress gets its Encoder (the records' bytes in `.buffer`). */
export interface KafkajsCodec {
  compress(encoder: { readonly buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

export function zstdCodec(level = ZSTD_LEVEL): KafkajsCodec {
  const params = { [constants.ZSTD_c_compressionLevel]: level };
  return {
    compress: (encoder) => compress(encoder.buffer, { params }),
    decompress: (buffer) => decompress(buffer),
  };
}

/** Makes kafkajs produce and consume zstd batches; idempotent. */
export function registerZstdCodec(): void {
  const codec = zstdCodec();
  CompressionCodecs[CompressionTypes.ZSTD] = () => codec;
}
