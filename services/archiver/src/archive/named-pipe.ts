import { execFile } from 'node:child_process';
import { constants, openSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PipeOptions {
  /** How long the reader may take to open the pipe before the transfer fails. */
  readonly openTimeoutMs?: number;
}

/**
 * Runs a reader and a writer of the same data at once through a named pipe (FIFO) in the temp
 * folder: `read(path)` opens the path as a file (DuckDB reading a CSV) while `write(sink)` streams
 * into it (PostgreSQL's COPY), so the data never lands on disk. Resolves with the writer's result
 * once both are done.
 *
 * The write end is opened non-blocking only after the reader has opened the pipe, and written
 * through a libuv pipe handle, so neither side can hang the other: a reader that fails before
 * opening ends the wait, one that fails while reading makes the writer's next write fail (EPIPE),
 * and a writer that fails closes its end, which the reader sees as the end of the file.
 *
 * On failure the reader's error wins when the writer failed only because the reader was gone.
 */
export async function throughNamedPipe<T>(
  read: (path: string) => Promise<void>,
  write: (sink: Writable) => Promise<T>,
  options: PipeOptions = {},
): Promise<T> {
  const folder = await mkdtemp(join(tmpdir(), 'archiver-pipe-'));
  const path = join(folder, 'data');
  let sink: Socket | undefined;
  try {
    await run('mkfifo', ['-m', '600', path]).catch((error: unknown) => {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(
        `could not create the named pipe ${path} with mkfifo (coreutils; is it on PATH, and is the temp folder writable?): ${reason}`,
        { cause: error },
      );
    });
    let readerSettled = false;
    const reading = read(path).finally(() => {
      readerSettled = true;
    });
    // Observed below; keeps an early failure from being reported as unhandled meanwhile.
    reading.catch(() => undefined);
    const fd = await openWriteEnd(path, () => readerSettled, options.openTimeoutMs ?? 60_000);
    if (fd === undefined) {
      await reading;
      throw new Error(`the reader of ${path} finished without opening it`);
    }
    sink = new Socket({ fd, readable: false, writable: true });
    const [written, readOutcome] = await Promise.allSettled([write(sink), reading]);
    if (written.status === 'fulfilled') {
      if (readOutcome.status === 'rejected') throw readOutcome.reason;
      return written.value;
    }
    // The writer failed: report the reader's failure when that is why (the pipe broke).
    if (readOutcome.status === 'rejected' && isEpipe(written.reason)) throw readOutcome.reason;
    throw written.reason;
  } finally {
    sink?.destroy();
    await rm(folder, { recursive: true, force: true });
  }
}

/**
 * Opens the pipe for writing as soon as a reader has it open (opening a FIFO non-blocking for
 * writing fails with ENXIO until then). Undefined when the reader settled first.
 */
async function openWriteEnd(
  path: string,
  readerSettled: () => boolean,
  timeoutMs: number,
): Promise<number | undefined> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      return openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENXIO') throw error;
    }
    if (readerSettled()) return undefined;
    if (performance.now() > deadline) {
      throw new Error(`nothing opened ${path} for reading within ${timeoutMs} ms`);
    }
    await sleep(2);
  }
}

function isEpipe(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'EPIPE';
}
