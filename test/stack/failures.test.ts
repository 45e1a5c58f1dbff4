// How the stack tool fails: with a message naming the cause and the fix, leaving nothing running.
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { StackError, cacheDir, down, status, up, versions } from '@event-pipeline/stack';
import { ensureDebianPackages } from '../../packages/stack/src/apt.ts';
import { kafkaJars } from '../../packages/stack/src/build/kafka.ts';

const tempDir = (prefix: string) => mkdtemp(path.join(tmpdir(), prefix));
const quiet = (): void => undefined;

async function listen(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Every redis-server whose command line points into this state directory. */
async function processesUnder(stateDir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(stateDir)) pids.push(Number(entry));
  }
  return pids;
}

describe('stack failures', () => {
  it('names a port that is already in use, and how to fix it', async () => {
    const stateDir = await tempDir('stack-port-');
    const busy = await listen();
    try {
      await assert.rejects(
        up(['redis'], { stateDir, ports: { redis: busy.port }, log: quiet }),
        (error: unknown) => {
          assert.ok(error instanceof StackError);
          assert.match(
            error.message,
            new RegExp(`port ${busy.port} on 127\\.0\\.0\\.1 is already in use`),
          );
          assert.match(error.fix, /ss -ltnp/);
          return true;
        },
      );
    } finally {
      await busy.close();
    }
    assert.deepEqual((await status({ stateDir })).processes, []);
  });

  it('stops what it already started when another component fails', async () => {
    const stateDir = await tempDir('stack-half-');
    const busy = await listen();
    try {
      // Redis starts (it needs no build); PostgreSQL cannot take its port.
      await assert.rejects(
        up(['redis', 'postgres'], { stateDir, ports: { postgres: busy.port }, log: quiet }),
        StackError,
      );
    } finally {
      await busy.close();
    }
    assert.deepEqual((await status({ stateDir })).processes, []);
    assert.deepEqual(await processesUnder(stateDir), []);
  });

  it('starts and stops by PID, leaving no process behind', async () => {
    const stateDir = await tempDir('stack-updown-');
    const info = await up(['redis'], { stateDir, log: quiet });
    assert.match(info.env.REDIS_URL ?? '', /^redis:\/\/:[\w-]+@127\.0\.0\.1:\d+$/);
    const { processes } = await status({ stateDir });
    assert.equal(processes.length, 1);
    assert.equal(processes[0]?.running, true);
    assert.deepEqual(await down({ stateDir }), ['redis']);
    assert.deepEqual(await processesUnder(stateDir), []);
  });

  it('explains a failed download (an unknown Kafka release) with the fix', async () => {
    const cache = await tempDir('stack-cache-');
    await assert.rejects(kafkaJars(cache, 'kafka', '0.0.404', quiet), (error: unknown) => {
      assert.ok(error instanceof StackError);
      assert.match(error.message, /Maven could not fetch org\.apache\.kafka:kafka_2\.13:0\.0\.404/);
      assert.match(error.fix, /Maven Central is reachable/);
      return true;
    });
    assert.deepEqual(
      (await readdir(path.join(cache, 'kafka'))).filter((f) => !f.startsWith('.')),
      [],
    );
  });

  it('rebuilds a corrupt cache entry instead of running it', async () => {
    const version = versions.kafka['3.9'];
    const good = await kafkaJars(cacheDir(), 'kafka-3.9', version, quiet); // warm: the stack fetched it
    const cache = await tempDir('stack-corrupt-');
    const copy = path.join(cache, 'kafka', version);
    await rm(copy, { recursive: true, force: true });
    await cp(path.dirname(good), copy, { recursive: true });
    const jar = path.join(copy, 'libs', `kafka-clients-${version}.jar`);
    await writeFile(jar, 'truncated'); // what an interrupted download leaves
    const lines: string[] = [];
    const libs = await kafkaJars(cache, 'kafka-3.9', version, (line) => lines.push(line));
    assert.ok(
      lines.some((line) => line.includes('incomplete or corrupt; rebuilding')),
      lines.join('\n'),
    );
    const rebuilt = await readFile(path.join(libs, `kafka-clients-${version}.jar`));
    assert.equal(rebuilt.readUInt32LE(0), 0x04034b50);
  });

  it('names a Debian package it cannot install, and how to install it', async () => {
    await assert.rejects(
      ensureDebianPackages(
        [
          {
            component: 'example',
            package: 'event-pipeline-no-such-package',
            provides: 'event-pipeline-no-such-command',
          },
        ],
        quiet,
      ),
      (error: unknown) => {
        assert.ok(error instanceof StackError);
        assert.match(error.message, /event-pipeline-no-such-package/);
        assert.match(error.fix, /apt-get install -y event-pipeline-no-such-package/);
        return true;
      },
    );
  });
});
