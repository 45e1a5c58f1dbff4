// make bench-event-path: ingest's per-event CPU work from request body to kafkajs's record batch,
// stage by stage, in this process and without I/O (bench/event-path-stages.ts). Baseline measured
// in the same run: JSON.parse of the body and JSON.stringify of each event.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { measureEventPath } from './event-path-stages.ts';

const RESULTS = fileURLToPath(new URL('./results/event-path.json', import.meta.url));
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
  ].map(({ stage, usPerEvent }) => ({ stage, 'CPU µs/event (best round)': usPerEvent })),
);
const ratio = Math.round((result.totalUs / result.baselineUs) * 10) / 10;
console.log(
  `ours/baseline: ${ratio}× the CPU per event; one core at this total: ${Math.round(1e6 / result.totalUs).toLocaleString('en-US')} events/s`,
);
await writeFile(
  RESULTS,
  `${JSON.stringify({ measuredAt: new Date().toISOString(), rounds: ROUNDS, iterations: ITERATIONS, ...result, ratio }, null, 2)}\n`,
);
console.log(`wrote ${RESULTS}`);
