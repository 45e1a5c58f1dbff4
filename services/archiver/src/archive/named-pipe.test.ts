import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import type { Writable } from 'node:stream';
import { pipeline as pipe } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { throughNamedPipe } from './named-pipe.ts';

/** Writes `data` in 64 KiB chunks, as a COPY stream would. */
function writeAll(data: Buffer): (sink: Writable) => Promise<number> {
  return async (sink) => {
    const chunks = Array.from({ length: Math.ceil(data.length / 65_536) }, (_, i) =>
      data.subarray(i * 65_536, (i + 1) * 65_536),
    );
    await pipe(Readable.from(chunks), sink);
    return data.length;
  };
}

async function gone(path: string): Promise<boolean> {
  return access(path).then(
    () => false,
    () => true,
  );
}

describe('throughNamedPipe', () => {
  it('hands the reader every byte the writer wrote, and removes the pipe after', async () => {
    // Larger than a pipe's buffer many times over, so both sides must run at once.
    const data = randomBytes(5 * 1024 * 1024 + 17);
    let seen: Buffer | undefined;
    let pipePath = '';
    const result = await throughNamedPipe(async (path) => {
      pipePath = path;
      seen = await readFile(path);
    }, writeAll(data));
    assert.equal(result, data.length);
    assert.ok(seen?.equals(data), 'the reader got exactly the written bytes');
    assert.ok(await gone(dirname(pipePath)), 'the pipe and its folder are removed');
  });

  it("rejects with the reader's error when it fails before opening the pipe", async () => {
    let wrote = false;
    await assert.rejects(
      throughNamedPipe(
        async () => {
          await Promise.resolve();
          throw new Error('the reader failed at once');
        },
        () => {
          wrote = true;
          return Promise.resolve(0);
        },
      ),
      /the reader failed at once/,
    );
    assert.equal(wrote, false, 'the writer never started');
  });

  it("rejects with the reader's error, not the writer's EPIPE, when the reader stops midway", async () => {
    const data = randomBytes(4 * 1024 * 1024);
    let pipePath = '';
    await assert.rejects(
      throughNamedPipe(async (path) => {
        pipePath = path;
        const file = await open(path, 'r');
        await file.read(Buffer.alloc(100_000), 0, 100_000);
        await file.close();
        throw new Error('the reader gave up after 100 kB');
      }, writeAll(data)),
      /the reader gave up after 100 kB/,
    );
    assert.ok(await gone(dirname(pipePath)));
  });

  it("rejects with the writer's error, and the reader sees the end of the file", async () => {
    let readerGot = -1;
    await assert.rejects(
      throughNamedPipe(
        async (path) => {
          readerGot = (await readFile(path)).length;
        },
        async (sink) => {
          await new Promise<void>((resolve) => sink.write(Buffer.alloc(1000, 1), () => resolve()));
          sink.destroy();
          throw new Error('the COPY failed');
        },
      ),
      /the COPY failed/,
    );
    assert.equal(readerGot, 1000, 'the reader read what was written, then reached the end');
  });

  it("rejects with the reader's error when the writer succeeded but the reader failed", async () => {
    await assert.rejects(
      throughNamedPipe(
        async (path) => {
          await pipe(createReadStream(path), async function* (source: AsyncIterable<Buffer>) {
            for await (const chunk of source) yield chunk;
          });
          throw new Error('the last line is incomplete');
        },
        writeAll(Buffer.from('a,b\n')),
      ),
      /the last line is incomplete/,
    );
  });

  it('says what is missing when the pipe cannot be made', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await assert.rejects(
        throughNamedPipe(() => Promise.resolve(), writeAll(Buffer.from('x'))),
        /could not create the named pipe .* with mkfifo/,
      );
    } finally {
      process.env.PATH = path;
    }
  });

  it('gives up with a clear error when nothing opens the pipe in time', async () => {
    let release: (() => void) | undefined;
    const stalled = new Promise<void>((resolve) => (release = resolve));
    await assert.rejects(
      throughNamedPipe(() => stalled, writeAll(Buffer.from('x')), { openTimeoutMs: 50 }),
      /nothing opened .* for reading within 50 ms/,
    );
    release?.();
  });
});
