#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { logProcessWarnings } from '@event-pipeline/platform/process-warnings';
import { describeError } from './errors.ts';
import { resolveStateDir } from './paths.ts';
import { componentNames, defaultComponents } from './registry.ts';
import { down, stackEnv, status, up } from './stack.ts';

const usage = `stack: real PostgreSQL, Redis, Kafka and Kubernetes as local processes on loopback ports

usage:
  stack up [component...] [--state-dir DIR] [--redis-aof]   start (default: ${defaultComponents.join(' ')})
  stack down [--state-dir DIR]                              stop everything and delete its data
  stack status [--state-dir DIR]                            processes, PIDs and endpoints
  stack env [--state-dir DIR]                               connection settings as KEY=value lines

components: ${componentNames().join(', ')}
state dir: --state-dir, else $STACK_STATE_DIR, else .stack/dev`;

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}

// Node's warnings as `stack:` lines, without kafkajs's known harmless one.
logProcessWarnings({ warn: (_fields, message) => process.stderr.write(`stack: ${message}\n`) });

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'state-dir': { type: 'string' },
      'redis-aof': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, ...names] = positionals;
  if (values.help || command === undefined) {
    console.log(usage);
    return command === undefined && !values.help ? 2 : 0;
  }
  const stateDir = resolveStateDir(values['state-dir']);
  const log = (line: string): void => void process.stderr.write(`stack: ${line}\n`);

  switch (command) {
    case 'up': {
      const controller = new AbortController();
      const abort = (): void => controller.abort(new Error('interrupted'));
      process.once('SIGINT', abort).once('SIGTERM', abort);
      const started = Date.now();
      const info = await up(names, {
        stateDir,
        log,
        signal: controller.signal,
        redis: { aof: values['redis-aof'] },
      });
      console.log(
        `stack is up in ${((Date.now() - started) / 1000).toFixed(1)} s (state: ${info.stateDir})`,
      );
      for (const [component, endpoints] of Object.entries(info.endpoints)) {
        for (const [name, endpoint] of Object.entries(endpoints))
          console.log(`  ${component.padEnd(11)} ${name.padEnd(24)} ${endpoint}`);
      }
      console.log(`connection settings: eval "$(make -s env)"`);
      return 0;
    }
    case 'down': {
      const stopped = await down({ stateDir, log });
      console.log(stopped.length === 0 ? 'nothing was running' : `stopped: ${stopped.join(', ')}`);
      return 0;
    }
    case 'status': {
      const { processes } = await status({ stateDir });
      if (processes.length === 0) {
        console.log(`nothing running under ${stateDir}`);
        return 0;
      }
      for (const p of processes) {
        console.log(
          `${p.component.padEnd(11)} ${p.name.padEnd(24)} pid ${String(p.pid).padEnd(8)} ${p.running ? 'running' : 'DEAD'}  log ${p.log}`,
        );
      }
      return processes.every((p) => p.running) ? 0 : 1;
    }
    case 'env': {
      for (const [key, value] of Object.entries(await stackEnv({ stateDir })))
        console.log(`export ${key}=${shellQuote(value)}`);
      return 0;
    }
    default:
      console.error(`stack: unknown command "${command}"\n\n${usage}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`stack: ${describeError(error)}`);
    process.exitCode = 1;
  },
);
