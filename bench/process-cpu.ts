// CPU time of each part of a benchmark, from /proc (Linux): a process with all its threads and
// all its descendants (PostgreSQL's backends are children of the postmaster), so a run can say
// where the machine's two cores went, per event, instead of inferring it.
import { readFile, readdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { status } from '@event-pipeline/stack';

export interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  /** utime + stime + cutime + cstime, in clock ticks: the process's threads and its reaped children. */
  readonly ticks: number;
  /** cutime + cstime alone: the children it has waited for. */
  readonly reapedTicks: number;
}

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s on every architecture it runs. */
const TICKS_PER_SECOND = 100;

/** One /proc/<pid>/stat line. The command name may hold spaces and parentheses: split after the last ')'. */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  const fields = text.slice(close + 2).split(' ');
  // After the name: state, ppid (index 1) … utime (11), stime (12), cutime (13), cstime (14).
  const numbers = [1, 11, 12, 13, 14].map((i) => Number(fields[i]));
  if (!Number.isInteger(pid) || numbers.some((n) => !Number.isFinite(n))) return undefined;
  const [ppid = 0, utime = 0, stime = 0, cutime = 0, cstime = 0] = numbers;
  return { pid, ppid, ticks: utime + stime + cutime + cstime, reapedTicks: cutime + cstime };
}

/**
 * Seconds of CPU used by root and everything below it. A child that exits moves its time into
 * its parent's cutime/cstime when reaped, so the sum stays continuous while the tree changes.
 */
export function treeCpuSeconds(stats: readonly ProcStat[], root: number): number {
  const children = new Map<number, ProcStat[]>();
  let rootStat: ProcStat | undefined;
  for (const stat of stats) {
    if (stat.pid === root) rootStat = stat;
    const siblings = children.get(stat.ppid);
    if (siblings === undefined) children.set(stat.ppid, [stat]);
    else siblings.push(stat);
  }
  if (rootStat === undefined) return 0;
  let ticks = 0;
  const pending = [rootStat];
  for (let stat = pending.pop(); stat !== undefined; stat = pending.pop()) {
    ticks += stat.ticks;
    pending.push(...(children.get(stat.pid) ?? []));
  }
  return ticks / TICKS_PER_SECOND;
}

/** Every process's stat line now (processes that exit while being read are skipped). */
export async function readProcStats(): Promise<ProcStat[]> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  const stats = await Promise.all(
    pids.map(async (pid) => {
      try {
        return parseProcStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return undefined;
      }
    }),
  );
  return stats.filter((stat) => stat !== undefined);
}

/** CPU seconds of the children this process has started and that have exited (and been reaped). */
export async function exitedChildrenCpuSeconds(): Promise<number> {
  const stat = parseProcStat(await readFile('/proc/self/stat', 'utf8'));
  if (stat === undefined) throw new Error('cannot parse /proc/self/stat');
  return stat.reapedTicks / TICKS_PER_SECOND;
}

/**
 * CPU seconds so far of the parts of a run: each named pid with its descendants, each running
 * component of a stack, and (as `self`) this process alone, without the children it started.
 */
export async function cpuSecondsByPart(options: {
  /** A part's process, or its processes (replicas), each with its descendants. */
  readonly pids?: Readonly<Record<string, number | readonly (number | undefined)[] | undefined>>;
  readonly stateDir?: string;
  readonly self?: string;
}): Promise<Record<string, number>> {
  const roots: Record<string, number[]> = {};
  for (const [name, pid] of Object.entries(options.pids ?? {})) {
    const candidates: readonly (number | undefined)[] = typeof pid === 'object' ? pid : [pid];
    const list = candidates.filter((p) => p !== undefined);
    if (list.length > 0) roots[name] = list;
  }
  if (options.stateDir !== undefined) {
    // By name, so the parts come in the same order (the benches' table columns) in every run.
    const records = (await status({ stateDir: options.stateDir })).processes
      .filter((record) => record.running)
      .sort((a, b) => a.component.localeCompare(b.component));
    for (const record of records) (roots[record.component] ??= []).push(record.pid);
  }
  const stats = await readProcStats();
  const seconds: Record<string, number> = {};
  for (const [name, pids] of Object.entries(roots)) {
    seconds[name] = pids.reduce((sum, pid) => sum + treeCpuSeconds(stats, pid), 0);
  }
  if (options.self !== undefined) {
    const { user, system } = process.cpuUsage();
    seconds[options.self] = (user + system) / 1e6;
  }
  return seconds;
}

/** Microseconds of CPU per unit of work (event, row) of each part between two readings, to 0.1 µs. */
export function cpuMicrosPer(
  units: number,
  before: Readonly<Record<string, number>>,
  after: Readonly<Record<string, number>>,
): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after).map(([name, seconds]) => [
      name,
      units === 0 ? 0 : Math.round(((seconds - (before[name] ?? 0)) * 1e7) / units) / 10,
    ]),
  );
}

/** The parts' CPU per unit added up, and the units/s every core could carry at it, nothing waiting. */
export function cpuCeiling(micros: Readonly<Record<string, number>>): {
  totalMicros: number;
  perSecond: number;
} {
  const totalMicros = Math.round(Object.values(micros).reduce((sum, us) => sum + us, 0) * 10) / 10;
  return {
    totalMicros,
    perSecond: totalMicros <= 0 ? 0 : Math.round((availableParallelism() * 1e6) / totalMicros),
  };
}
