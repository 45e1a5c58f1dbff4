// The in-process micro-benchmarks' measure: the CPU of the whole process (user + system, GC
// threads included) per unit of work, in the best (lowest) of several rounds.

/** Runs `work` `iterations` times per round; µs of CPU per unit (`units` per call), to 0.01. */
export async function cpuBestRound(
  { rounds, iterations, units }: { rounds: number; iterations: number; units: number },
  work: () => unknown,
): Promise<number> {
  let fastest = Number.POSITIVE_INFINITY;
  for (let round = 0; round < rounds; round += 1) {
    const started = process.cpuUsage();
    for (let i = 0; i < iterations; i += 1) await work();
    const used = process.cpuUsage(started);
    fastest = Math.min(fastest, (used.user + used.system) / iterations / units);
  }
  return Math.round(fastest * 100) / 100;
}
