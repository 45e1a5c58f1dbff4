// The whole machine's CPU use over a stretch of a benchmark, from /proc/stat (Linux): how busy the
// cores were, and how much of their time the host gave to other virtual machines (steal), which is
// why the same run is slower at some hours than at others.
import { readFile } from 'node:fs/promises';

export interface CpuTicks {
  /** user + nice + system + irq + softirq, summed over cores (guest time is already in user). */
  readonly busy: number;
  /** Time a virtual core was ready to run but the host ran something else. */
  readonly steal: number;
  readonly total: number;
}

export async function machineCpuTicks(): Promise<CpuTicks> {
  const [line = ''] = (await readFile('/proc/stat', 'utf8')).split('\n');
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] =
    line.trim().split(/\s+/).slice(1).map(Number);
  return {
    busy: user + nice + system + irq + softirq,
    steal,
    total: user + nice + system + idle + iowait + irq + softirq + steal,
  };
}

/** Shares of all cores' time between two readings: busy and stolen (each 0..1). */
export function cpuShares(from: CpuTicks, to: CpuTicks): { busy: number; stolen: number } {
  const total = to.total - from.total;
  if (total <= 0) return { busy: Number.NaN, stolen: Number.NaN };
  return { busy: (to.busy - from.busy) / total, stolen: (to.steal - from.steal) / total };
}
