// make bench-ingest: ingest (node services/ingest/src/main.ts) against a bare node:http baseline
// that parses the same JSON and answers 202, on loopback, with Kafka and Redis from a private stack.
import '../test/support/process-warnings.ts';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { createKafkaClient, createLogger } from '@event-pipeline/platform';
import { down, up } from '@event-pipeline/stack';
import { BATCH_BODY, BATCH_SIZE } from './batch-body.ts';
import { cpuShares, machineCpuTicks } from './machine-cpu.ts';
import { machineSpeedLine, measureMachineSpeed } from './machine-speed.ts';
import { writeResults } from './results-file.ts';
import { cpuCeiling, cpuMicrosPer, cpuSecondsByPart } from './process-cpu.ts';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
/**
 * Rounds of every ingest scenario (10 s each) run before anything is measured. A Kafka broker that
 * has just started runs its request path in the JVM's interpreter and early JIT tiers: under the
 * single-event load its CPU per produce request fell from about 1.6 ms to 0.4 ms over the first
 * 50 s (experiment, 2026-12-02), and a production broker is long past that. The warm-up rounds
 * are printed with Kafka's CPU per event, so the settling shows in every run.
 */
const WARMUP_ROUNDS = Number(process.env.BENCH_WARMUP_ROUNDS ?? 3);
const WARMUP_S = 10;
const CONNECTIONS = 64;
/** The batch scenario against both ingest processes at once (two replicas behind a Service). */
const PAIR = `batch-${BATCH_SIZE} ×2`;
/** The batch scenario against an ingest without its prepare thread (PREPARE_THREADS=0). */
const LOOP_ONLY = `batch-${BATCH_SIZE}, no prepare thread`;
const API_KEY = 'bench-key-0123456789';
/** The bench process itself: autocannon runs in it. */
const LOAD_GENERATOR = 'load generator';

interface WarmupRow {
  round: number;
  scenario: string;
  eventsPerSecond: number;
  kafkaCpuUsPerEvent: number;
  ingestCpuUsPerEvent: number;
}

if (process.argv[2] === 'baseline') {
  // The baseline: read the body, JSON.parse it, answer 202. Nothing else.
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { events?: unknown[] };
        const accepted = Array.isArray(parsed.events) ? parsed.events.length : 1;
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ accepted }));
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
  });
} else {
  await main();
}

interface Row {
  server: 'ingest' | 'baseline';
  scenario: 'single' | 'single-one-user' | `batch-${number}` | typeof PAIR | typeof LOOP_ONLY;
  connections: number;
  requestsPerSecond: number;
  eventsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  /** CPU time the server process spent per accepted event (user + system), from /proc. */
  serverCpuUsPerEvent: number;
  /** Shares of all cores' time during the load: busy (anyone's) and stolen by the host. */
  machineCpu: { busy: number; stolen: number };
  /** CPU µs per accepted event of each part: the server, Kafka, Redis and the load generator. */
  cpuUsPerEventByPart: Record<string, number>;
}

async function main(): Promise<void> {
  const stateDir = await mkdtemp(path.join(tmpdir(), 'bench-ingest-'));
  const children: ChildProcess[] = [];
  const speedAtStart = measureMachineSpeed();
  try {
    process.stderr.write('starting Kafka and Redis (private stack)...\n');
    const { env } = await up(['redis', 'kafka'], { stateDir });
    const brokers = env.KAFKA_BROKERS ?? '';
    const topic = 'bench-ingest';
    const logger = createLogger({ name: 'bench-ingest', level: 'warn' });
    const kafka = createKafkaClient({ clientId: 'bench', brokers: [brokers], logger });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });

    // Two ingest processes, as the operator's default `replicas: 2` runs two pods: the scenarios
    // measure the first alone; `batch-100 ×2` loads both at once, half the connections each. A
    // third runs without the prepare thread, the comparison for what that thread brings.
    const startIngest = async (extraEnv: Record<string, string> = {}) => {
      const child = spawn(process.execPath, ['services/ingest/src/main.ts'], {
        env: {
          ...process.env,
          PIPELINE_NAME: 'bench',
          KAFKA_BROKERS: brokers,
          KAFKA_TOPIC: topic,
          REDIS_URL: env.REDIS_URL ?? '',
          API_KEYS: API_KEY,
          RATE_LIMIT_EVENTS_PER_SECOND: '1000000000',
          RATE_LIMIT_BURST: '1000000000',
          PORT: '0',
          HOST: '127.0.0.1',
          LOG_LEVEL: 'info',
          ...extraEnv,
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.push(child);
      const port = await portFromLogs(child, (line) => {
        const parsed = JSON.parse(line) as { msg?: string; port?: number };
        return parsed.msg === 'ingest listening' ? parsed.port : undefined;
      });
      return { child, port };
    };
    const { child: ingest, port: ingestPort } = await startIngest();
    const { child: replica, port: replicaPort } = await startIngest();
    const { child: loopOnly, port: loopOnlyPort } = await startIngest({ PREPARE_THREADS: '0' });
    const baseline = spawn(process.execPath, [import.meta.filename, 'baseline'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(baseline);
    const baselinePort = await portFromLogs(baseline, (line) => Number(line));

    // Single events from 64 users in turn (each connection cycles through them), as real
    // traffic from many users; and the same event from one user, the worst case for per-key
    // ordering: every message of one key goes through the same producer lane.
    const singleOf = (user: number) =>
      JSON.stringify({
        type: 'page_view',
        userId: `user-${user}`,
        timestamp: '2026-01-01T12:00:00.000Z',
        properties: { path: '/pricing', referrer: 'https://example.com/', plan: 'pro' },
      });
    const singles = Array.from({ length: 64 }, (_, user) => singleOf(user));
    const base: Target = { server: 'baseline', ports: [baselinePort], pids: [baseline.pid] };
    const one: Target = { server: 'ingest', ports: [ingestPort], pids: [ingest.pid] };
    const noThread: Target = { server: 'ingest', ports: [loopOnlyPort], pids: [loopOnly.pid] };
    const both: Target = {
      server: 'ingest',
      ports: [ingestPort, replicaPort],
      pids: [ingest.pid, replica.pid],
    };
    const batch = { bodies: [BATCH_BODY], events: BATCH_SIZE, path: '/v1/batch' } as const;
    const scenarios: readonly {
      readonly scenario: Row['scenario'];
      readonly bodies: readonly string[];
      readonly events: number;
      readonly path: string;
      /** The baseline first where there is one; the ingest target is warmed up. */
      readonly targets: readonly Target[];
    }[] = [
      { scenario: 'single', bodies: singles, events: 1, path: '/v1/events', targets: [base, one] },
      {
        scenario: 'single-one-user',
        bodies: [singleOf(42)],
        events: 1,
        path: '/v1/events',
        targets: [base, one],
      },
      { scenario: `batch-${BATCH_SIZE}`, ...batch, targets: [base, one] },
      { scenario: LOOP_ONLY, ...batch, targets: [noThread] },
      { scenario: PAIR, ...batch, targets: [both] },
    ];
    const warmup: WarmupRow[] = [];
    for (let round = 1; round <= WARMUP_ROUNDS; round += 1) {
      for (const { scenario, bodies, events, path: urlPath, targets } of scenarios) {
        for (const target of targets.filter((t) => t.server === 'ingest')) {
          process.stderr.write(
            `warm-up ${round}/${WARMUP_ROUNDS}: ingest ${scenario}, ${WARMUP_S} s\n`,
          );
          const parts = { pids: { ingest: target.pids }, stateDir };
          const before = await cpuSecondsByPart(parts);
          const result = await loadTarget(target, urlPath, bodies, WARMUP_S);
          const byPart = cpuMicrosPer(result.ok * events, before, await cpuSecondsByPart(parts));
          warmup.push({
            round,
            scenario,
            eventsPerSecond: Math.round((result.ok * events) / WARMUP_S),
            kafkaCpuUsPerEvent: byPart.kafka ?? 0,
            ingestCpuUsPerEvent: byPart.ingest ?? 0,
          });
        }
      }
    }
    if (warmup.length > 0) console.table(warmup);
    const rows: Row[] = [];
    for (const { scenario, bodies, events, path: urlPath, targets } of scenarios) {
      for (const target of targets) {
        const { server } = target;
        await loadTarget(target, urlPath, bodies, 2); // this server on this scenario, just before it is measured
        process.stderr.write(
          `${server} ${scenario}: ${DURATION_S} s at ${CONNECTIONS} connections\n`,
        );
        const parts = { pids: { [server]: target.pids }, stateDir, self: LOAD_GENERATOR };
        const cpuBefore = await cpuSecondsByPart(parts);
        const machineBefore = await machineCpuTicks();
        const result = await loadTarget(target, urlPath, bodies, DURATION_S);
        const machine = cpuShares(machineBefore, await machineCpuTicks());
        const cpuAfter = await cpuSecondsByPart(parts);
        const byPart = cpuMicrosPer(result.ok * events, cpuBefore, cpuAfter);
        rows.push({
          server,
          scenario,
          connections: CONNECTIONS,
          requestsPerSecond: Math.round(result.ok / DURATION_S),
          eventsPerSecond: Math.round((result.ok * events) / DURATION_S),
          p50Ms: result.p50Ms,
          p99Ms: result.p99Ms,
          non2xx: result.non2xx,
          errors: result.errors,
          serverCpuUsPerEvent: byPart[server] ?? 0,
          machineCpu: {
            busy: Number(machine.busy.toFixed(2)),
            stolen: Number(machine.stolen.toFixed(2)),
          },
          cpuUsPerEventByPart: byPart,
        });
      }
    }
    const offsets = await admin.fetchTopicOffsets(topic);
    const inTopic = offsets.reduce((sum, o) => sum + Number(o.high), 0);
    await admin.disconnect();

    const ratio = (scenario: Row['scenario']) => {
      const ours = rows.find((r) => r.server === 'ingest' && r.scenario === scenario);
      const base = rows.find((r) => r.server === 'baseline' && r.scenario === scenario);
      return ours === undefined || base === undefined
        ? 0
        : Number((ours.eventsPerSecond / base.eventsPerSecond).toFixed(3));
    };
    const singleRow = rows.find((r) => r.server === 'ingest' && r.scenario === 'single');
    const batchRow = rows.find(
      (r) => r.server === 'ingest' && r.scenario === `batch-${BATCH_SIZE}`,
    );
    const pairRow = rows.find((r) => r.scenario === PAIR);
    const loopOnlyRow = rows.find((r) => r.scenario === LOOP_ONLY);
    const speedAtEnd = measureMachineSpeed();
    const report = {
      when: new Date().toISOString(),
      node: process.version,
      cpus: availableParallelism(),
      machineSpeed: { atStart: speedAtStart, atEnd: speedAtEnd },
      durationSeconds: DURATION_S,
      warmup,
      rows,
      ratios: {
        single: ratio('single'),
        'single-one-user': ratio('single-one-user'),
        [`batch-${BATCH_SIZE}`]: ratio(`batch-${BATCH_SIZE}`),
        // One process with its prepare thread against one without, same run.
        prepareThread: Number(
          (
            (batchRow?.eventsPerSecond ?? 0) / Math.max(1, loopOnlyRow?.eventsPerSecond ?? 0)
          ).toFixed(3),
        ),
      },
      eventsInTopic: inTopic,
      targets: {
        singleRequestsPerSecond: { target: 5000, measured: singleRow?.requestsPerSecond ?? 0 },
        singleP99Ms: { target: 30, measured: singleRow?.p99Ms ?? 0 },
        batchEventsPerSecond: { target: 100_000, measured: batchRow?.eventsPerSecond ?? 0 },
        // The same target with the operator's default two replicas, both on this machine.
        batchEventsPerSecondTwoReplicas: {
          target: 100_000,
          measured: pairRow?.eventsPerSecond ?? 0,
        },
      },
    };
    console.table(
      rows.map((r) => ({
        server: r.server,
        scenario: r.scenario,
        'req/s': r.requestsPerSecond,
        'events/s': r.eventsPerSecond,
        'p50 ms': r.p50Ms,
        'p99 ms': r.p99Ms,
        non2xx: r.non2xx,
        errors: r.errors,
        'server CPU µs/event': r.serverCpuUsPerEvent,
        'machine busy': r.machineCpu.busy,
        'stolen by host': r.machineCpu.stolen,
      })),
    );
    // Where each ingest scenario's CPU went, and how many events/s two cores could carry at that
    // cost if nothing waited: the ceiling the targets are up against on this machine.
    console.table(
      rows
        .filter((r) => r.server === 'ingest')
        .map((r) => {
          const { totalMicros, perSecond } = cpuCeiling(r.cpuUsPerEventByPart);
          return {
            scenario: r.scenario,
            ...Object.fromEntries(
              Object.entries(r.cpuUsPerEventByPart).map(([part, us]) => [`${part} µs/event`, us]),
            ),
            'total µs/event': totalMicros,
            'ceiling on all cores, events/s': perSecond,
          };
        }),
    );
    console.log(
      `ours/baseline: single ${report.ratios.single}, single-one-user ${report.ratios['single-one-user']}, batch-${BATCH_SIZE} ${ratio(`batch-${BATCH_SIZE}`)}`,
    );
    console.log(
      `batch-${BATCH_SIZE} with / without the prepare thread: ${report.ratios.prepareThread}`,
    );
    console.log(`events in the topic after the run (warm-ups included): ${inTopic}`);
    console.log(machineSpeedLine(speedAtStart, speedAtEnd));
    for (const [name, { target, measured }] of Object.entries(report.targets)) {
      const met = name === 'singleP99Ms' ? measured <= target : measured >= target;
      console.log(
        `${name}: ${measured} (target ${name === 'singleP99Ms' ? '≤' : '≥'} ${target}) ${met ? 'met' : 'NOT met'}`,
      );
    }
    console.log(`wrote ${await writeResults('ingest', report)}`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await sleep(1_000);
    await down({ stateDir });
  }
}

/** A server under load: one process, or several sharing the connections (replicas). */
interface Target {
  readonly server: Row['server'];
  readonly ports: readonly number[];
  readonly pids: readonly (number | undefined)[];
}

/**
 * Loads every process of the target at once, CONNECTIONS split between them, and adds up what
 * they answered. With several, the percentiles are the worse process's (autocannon gives no
 * histogram to merge).
 */
async function loadTarget(
  target: Target,
  urlPath: string,
  bodies: readonly string[],
  seconds: number,
) {
  const results = await Promise.all(
    target.ports.map((port) =>
      load(
        `http://127.0.0.1:${port}${urlPath}`,
        bodies,
        seconds,
        CONNECTIONS / target.ports.length,
      ),
    ),
  );
  const sum = (of: (r: autocannon.Result) => number) => results.reduce((n, r) => n + of(r), 0);
  return {
    ok: sum((r) => r.requests.total - r.non2xx),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors + r.timeouts),
    p50Ms: Math.max(...results.map((r) => r.latency.p50)),
    p99Ms: Math.max(...results.map((r) => r.latency.p99)),
  };
}

/** Each connection sends the bodies in turn, round and round. */
function load(
  url: string,
  bodies: readonly string[],
  seconds: number,
  connections = CONNECTIONS,
): Promise<autocannon.Result> {
  return autocannon({
    url,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
    requests: bodies.map((body) => ({ body })),
  });
}

function portFromLogs(
  child: ChildProcess,
  parse: (line: string) => number | undefined,
): Promise<number> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(
      () => reject(new Error('the server did not start within 60 s')),
      60_000,
    );
    child.on('exit', (code) => reject(new Error(`the server exited with ${code}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
        let port: number | undefined;
        try {
          port = parse(line);
        } catch {
          port = undefined;
        }
        if (port !== undefined && port > 0) {
          clearTimeout(timer);
          child.stdout?.resume();
          resolve(port);
          return;
        }
      }
    });
  });
}
