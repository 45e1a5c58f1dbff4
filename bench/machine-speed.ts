// How fast this machine is right now, as the time of a fixed piece of CPU work on one thread.
//
// The development machine's speed changes by the hour, and the host's steal counter does not
// always show it: on 2026-12-03 the same code spent about 1.6 times the CPU per stored row an
// hour apart with no steal reported. The benches print this reference at their start and end,
// so two runs can be compared (the same code, a slower reference: a slower machine) and a run
// whose reference moved between start and end is seen to have been disturbed.
import { hash } from 'node:crypto';
import { BATCH_BODY } from './batch-body.ts';

export interface MachineSpeed {
  /** µs for one unit of the reference work, the median round (lower is faster). */
  readonly referenceUs: number;
  /** The best round's µs per unit: how fast the machine can be when nothing disturbs it. */
  readonly bestUs: number;
  /** Each round's µs per unit, in order. */
  readonly roundsUs: readonly number[];
}

/**
 * One unit of the reference work: the kind of work ingest and the consumer do per request: parse
 * a 100-event batch body, serialize its events again, and hash the result. Returns a number that
 * depends on all of it, so none of it can be optimized away.
 */
export function referenceWork(body: string = BATCH_BODY): number {
  const parsed = JSON.parse(body) as { events: unknown[] };
  let checksum = 0;
  for (const event of parsed.events) {
    const digest = hash('sha256', JSON.stringify(event), 'buffer');
    checksum = (checksum + digest.readUInt32BE(0)) >>> 0;
  }
  return checksum;
}

/**
 * Times `units` units of the reference work in each of `rounds` rounds (after one unwarmed round
 * that does not count). The median round is the machine's speed; on this machine identical
 * rounds a second apart can differ by a factor of two, so a single round would say little.
 */
export function measureMachineSpeed({ rounds = 9, units = 100 } = {}): MachineSpeed {
  if (!Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(units) || units < 1) {
    throw new RangeError(`rounds and units must be positive integers (got ${rounds}, ${units})`);
  }
  const expected = referenceWork();
  for (let unit = 0; unit < units; unit += 1) referenceWork();
  const roundsUs: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const started = performance.now();
    for (let unit = 0; unit < units; unit += 1) {
      if (referenceWork() !== expected) throw new Error('the reference work is not deterministic');
    }
    roundsUs.push(((performance.now() - started) * 1000) / units);
  }
  const sorted = roundsUs.toSorted((a, b) => a - b);
  return {
    referenceUs: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN,
    bestUs: sorted[0] ?? Number.NaN,
    roundsUs,
  };
}

/** The line the benches print: the reference at the run's start and end. */
export function machineSpeedLine(start: MachineSpeed, end: MachineSpeed): string {
  const change = (end.referenceUs / start.referenceUs - 1) * 100;
  const at = (speed: MachineSpeed) =>
    `${speed.referenceUs.toFixed(0)} µs (best round ${speed.bestUs.toFixed(0)})`;
  return (
    `machine speed, reference work per unit (median of rounds; lower is faster): ${at(start)} at ` +
    `the start, ${at(end)} at the end (${change >= 0 ? '+' : ''}${change.toFixed(0)} %)`
  );
}
