// make bench-fetch-decode: the CPU per record of decoding a fetched record batch (1,000 of ingest's
// messages), uncompressed, gzip and zstd, with kafkajs's own decoder (the baseline, measured in
// the same run) and the one-pass decoder (bench/fetch-decode-stages.ts).
import { measureFetchDecode } from './fetch-decode-stages.ts';
import { writeResults } from './results-file.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 30);

// Warm the JIT on the same work first; the measured rounds follow.
await measureFetchDecode({ rounds: 1, iterations: ITERATIONS });
const result = await measureFetchDecode({ rounds: ROUNDS, iterations: ITERATIONS });
console.table(
  result.rows.map((row) => ({
    codec: row.codec,
    'batch bytes': row.batchBytes,
    'kafkajs decoder µs/record': row.kafkajsUs,
    'one-pass decoder µs/record': row.onePassUs,
    'ours/kafkajs': Math.round((row.onePassUs / row.kafkajsUs) * 100) / 100,
  })),
);
console.log(
  `${result.records} records per batch; the decoders ${result.decodersAgree ? 'returned the same records' : 'DISAGREED'}`,
);
const file = await writeResults('fetch-decode', {
  measuredAt: new Date().toISOString(),
  rounds: ROUNDS,
  iterations: ITERATIONS,
  ...result,
});
console.log(`wrote ${file}`);
