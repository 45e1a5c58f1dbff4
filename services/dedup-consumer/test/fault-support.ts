import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Producer } from 'kafkajs';
import type { EventMessage } from '@event-pipeline/platform';

const MAIN = path.resolve(import.meta.dirname, '../src/main.ts');

export interface ConsumerProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
}

/** `node services/dedup-consumer/src/main.ts` with env, as make up and the Deployment run it. */
export function spawnConsumer(env: Record<string, string>, logFile: string): ConsumerProcess {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(logFile, { flags: 'a' });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, exited };
}

/**
 * Produces the messages in chunks with a pause between them, so faults land while events flow.
 * Retries a chunk until Kafka acknowledges it (what ingest guarantees before answering 2xx).
 */
export async function produceSlowly(
  producer: Producer,
  topic: string,
  messages: readonly EventMessage[],
  { chunk = 500, pauseMs = 50 }: { chunk?: number; pauseMs?: number } = {},
): Promise<void> {
  for (let i = 0; i < messages.length; i += chunk) {
    for (;;) {
      try {
        await producer.send({ topic, acks: -1, messages: messages.slice(i, i + chunk) });
        break;
      } catch {
        await sleep(200);
      }
    }
    await sleep(pauseMs);
  }
}
