import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** What identifies a process we started: its PID plus its start time, so a reused PID is never killed. */
export interface ProcessRecord {
  name: string;
  pid: number;
  startTime: string;
  log: string;
  /** The signal that asks this program for a clean, prompt shutdown. */
  stopSignal: NodeJS.Signals;
  /** How it was started, so a fault test can start it again on the same ports and data. */
  spec: Omit<DaemonSpec, 'name' | 'log'>;
}

export interface DaemonSpec {
  name: string;
  command: string;
  args: readonly string[];
  log: string;
  cwd?: string;
  /** Added to this process's environment. */
  extraEnv?: Record<string, string>;
  /** Run as this user and group (setpriv), e.g. PostgreSQL, which refuses to run as root. */
  runAs?: { uid: number; gid: number };
  stopSignal?: NodeJS.Signals;
}

/** Starts a long-running process detached from us, its output appended to its log file. */
export async function startDaemon(spec: DaemonSpec): Promise<ProcessRecord> {
  const fd = openSync(spec.log, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.extraEnv },
      detached: true,
      stdio: ['ignore', fd, fd],
      ...(spec.runAs === undefined ? {} : { uid: spec.runAs.uid, gid: spec.runAs.gid }),
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', (error) =>
        reject(new Error(`cannot start ${spec.command}: ${error.message}`, { cause: error })),
      );
      child.once('spawn', () => {
        if (child.pid === undefined) reject(new Error(`${spec.command} has no pid`));
        else resolve(child.pid);
      });
    });
    child.unref();
    return {
      name: spec.name,
      pid,
      startTime: (await processStartTime(pid)) ?? '',
      log: spec.log,
      stopSignal: spec.stopSignal ?? 'SIGTERM',
      spec: {
        command: spec.command,
        args: spec.args,
        ...(spec.cwd === undefined ? {} : { cwd: spec.cwd }),
        ...(spec.extraEnv === undefined ? {} : { extraEnv: spec.extraEnv }),
        ...(spec.runAs === undefined ? {} : { runAs: spec.runAs }),
        ...(spec.stopSignal === undefined ? {} : { stopSignal: spec.stopSignal }),
      },
    };
  } finally {
    closeSync(fd);
  }
}

/** Field 22 of /proc/PID/stat (start time in clock ticks since boot), or undefined when gone. */
export async function processStartTime(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; fields after it are space-separated.
    const afterName = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = afterName[0];
    if (state === 'Z' || state === 'X') return undefined;
    return afterName[19];
  } catch {
    return undefined;
  }
}

export async function isRunning(record: ProcessRecord): Promise<boolean> {
  const startTime = await processStartTime(record.pid);
  return startTime !== undefined && (record.startTime === '' || startTime === record.startTime);
}

/** SIGTERM, then SIGKILL after the grace period; resolves once the process is gone. */
export async function stopProcess(
  record: ProcessRecord,
  graceMs = 15_000,
): Promise<'stopped' | 'killed' | 'not running'> {
  if (!(await isRunning(record))) return 'not running';
  signal(record.pid, record.stopSignal);
  if (await waitForExit(record, graceMs)) return 'stopped';
  signal(record.pid, 'SIGKILL');
  await waitForExit(record, 5_000);
  return 'killed';
}

/** kill -9, for fault tests. */
export function killProcess(record: ProcessRecord): void {
  signal(record.pid, 'SIGKILL');
}

export async function waitForExit(record: ProcessRecord, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await isRunning(record))) return true;
    await sleep(50);
  }
  return !(await isRunning(record));
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}
