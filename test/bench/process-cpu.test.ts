import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { availableParallelism } from 'node:os';
import {
  cpuCeiling,
  cpuMicrosPer,
  cpuSecondsByPart,
  exitedChildrenCpuSeconds,
  parseProcStat,
  readProcStats,
  treeCpuSeconds,
} from '../../bench/process-cpu.ts';
import type { ProcStat } from '../../bench/process-cpu.ts';

// A /proc/<pid>/stat line as Linux writes it (fields after the name: state, ppid, … utime at 14).
const line = (pid: number, name: string, ppid: number, [u, s, cu, cs]: number[]) =>
  `${pid} (${name}) S ${ppid} ${pid} ${pid} 0 -1 4194560 100 0 0 0 ${u} ${s} ${cu} ${cs} 20 0 1 0 ` +
  '12345 1000000 100 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n';

const stat = (pid: number, ppid: number, ticks: number): ProcStat => ({
  pid,
  ppid,
  ticks,
  reapedTicks: 0,
});

describe('bench process CPU from /proc', () => {
  it('parses a stat line whose command name holds spaces and parentheses', () => {
    assert.deepEqual(parseProcStat(line(4242, 'postgres: writer (x) ', 17, [30, 12, 5, 3])), {
      pid: 4242,
      ppid: 17,
      ticks: 50,
      reapedTicks: 8,
    });
    assert.equal(parseProcStat('garbage'), undefined);
    assert.equal(parseProcStat('12 (x) S'), undefined);
  });

  it('sums a process with all its descendants, and nothing beside them', () => {
    const stats = [
      stat(1, 0, 1_000),
      stat(10, 1, 200), // the root
      stat(11, 10, 50),
      stat(12, 11, 25), // a grandchild
      stat(20, 1, 400), // a sibling of the root: not counted
    ];
    assert.equal(treeCpuSeconds(stats, 10), 2.75);
    assert.equal(treeCpuSeconds(stats, 99), 0);
  });

  it('turns two readings into µs per unit by part, and adds them up into a ceiling', () => {
    const per = cpuMicrosPer(
      1_000_000,
      { ingest: 10, kafka: 2 },
      { ingest: 152.34, kafka: 19.5, redis: 6 },
    );
    assert.deepEqual(per, { ingest: 142.3, kafka: 17.5, redis: 6 });
    assert.deepEqual(cpuMicrosPer(0, {}, { ingest: 1 }), { ingest: 0 });
    const { totalMicros, perSecond } = cpuCeiling(per);
    assert.equal(totalMicros, 165.8);
    assert.equal(perSecond, Math.round((availableParallelism() * 1e6) / 165.8));
    assert.deepEqual(cpuCeiling({}), { totalMicros: 0, perSecond: 0 });
  });

  it('measures a real child while it runs, and in the reaped time once it has exited', async () => {
    const exitedBefore = await exitedChildrenCpuSeconds();
    // The child burns 0.6 s of CPU (its own count, so a busy machine only makes it take longer),
    // then waits for stdin to close.
    const child = spawn(
      process.execPath,
      [
        '-e',
        'const used = () => { const u = process.cpuUsage(); return u.user + u.system; };' +
          'while (used() < 600000); process.stdout.write("done\\n"); process.stdin.resume();',
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    await once(child.stdout, 'data');
    const whileRunning = treeCpuSeconds(await readProcStats(), process.pid);
    const childAlone = treeCpuSeconds(await readProcStats(), child.pid ?? -1);
    assert.ok(childAlone >= 0.4, `the busy child used ${childAlone} s, expected at least 0.4`);
    assert.ok(whileRunning >= childAlone, 'the tree of this process contains the child');
    // A part of several processes (replicas) adds them up, from the same reading.
    const parts = await cpuSecondsByPart({
      pids: { one: child.pid, both: [child.pid, child.pid], none: [] },
    });
    assert.ok((parts.one ?? 0) >= 0.4);
    assert.equal(parts.both, 2 * (parts.one ?? 0));
    assert.equal(parts.none, undefined, 'a part with no process is left out');
    child.stdin.end();
    await once(child, 'close');
    const exited = (await exitedChildrenCpuSeconds()) - exitedBefore;
    assert.ok(exited >= 0.4, `reaped children gained ${exited} s, expected at least 0.4`);
  });
});
