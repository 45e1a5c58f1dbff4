// make bench-event-path: ingest's per-event CPU work from request body to the compressed record
// batch kafkajs sends, stage by stage, in this process and without I/O (bench/event-path-stages.ts),
// with what it replaced (kafkajs's own record encoder, gzip) measured beside it. Baseline measured
// in the same run: JSON.parse of the body and JSON.stringify of each event.
import { measureEventPath } from './event-path-stages.ts';
import { writeResults } from './results-file.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 300);

// Warm the JIT on the same work first; the measured rounds follow.
await measureEventPath({ rounds: 1, iterations: ITERATIONS });
const result = await measureEventPath({ rounds: ROUNDS, iterations: ITERATIONS });
console.table(
  [
    ...result.stages,
    { stage: 'total', usPerEvent: result.totalUs },
    { stage: 'baseline: JSON.parse + JSON.stringify', usPerEvent: result.baselineUs },
    ...result.alternatives.map(({ stage, usPerEvent }) => ({
      stage: `instead: ${stage}`,
      usPerEvent,
    })),
  ].map(({ stage, usPerEvent }) => ({ stage, 'CPU µs/event (best round)': usPerEvent })),
);
const { gzip, zstd } = result.compressedBytes;
console.log(
  `${result.events} events: record batch ${result.recordBatchBytes.toLocaleString('en-US')} bytes (kafkajs's encoder: ${result.encodersAgree ? 'the same bytes' : 'DIFFERENT bytes'}); records compressed: zstd ${zstd.toLocaleString('en-US')}, gzip ${gzip.toLocaleString('en-US')} bytes`,
);
const ratio = Math.round((result.totalUs / result.baselineUs) * 10) / 10;
console.log(
  `ours/baseline: ${ratio}× the CPU per event; one core at this total: ${Math.round(1e6 / result.totalUs).toLocaleString('en-US')} events/s`,
);
const file = await writeResults('event-path', {
  measuredAt: new Date().toISOString(),
  rounds: ROUNDS,
  iterations: ITERATIONS,
  ...result,
  ratio,
});
console.log(`wrote ${file}`);
