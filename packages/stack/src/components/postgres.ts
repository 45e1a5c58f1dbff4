import { createHash } from 'node:crypto';
import { chmod, chown, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import type { Component, ComponentContext } from '../component.ts';
import { StackError } from '../errors.ts';
import { CommandFailed, run, tail } from '../exec.ts';
import { LOOPBACK, claimPort } from '../ports.ts';
import { randomPassword } from '../secrets.ts';
import { waitUntil } from '../wait.ts';

const NAME = 'postgres';

/** The newest server in Debian's /usr/lib/postgresql/<major>/bin. */
async function serverBinDir(): Promise<string> {
  let majors: number[] = [];
  try {
    majors = (await readdir('/usr/lib/postgresql')).map(Number).filter((n) => Number.isInteger(n));
  } catch {
    // handled below
  }
  const newest = majors.sort((a, b) => b - a)[0];
  if (newest === undefined) {
    throw new StackError(
      NAME,
      'no PostgreSQL server found under /usr/lib/postgresql',
      'sudo apt-get install -y postgresql',
    );
  }
  return `/usr/lib/postgresql/${newest}/bin`;
}

/** PostgreSQL refuses to run as root: as root we run it as Debian's `postgres` user. */
async function serviceUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    return { uid, gid };
  } catch (error) {
    throw new StackError(
      NAME,
      'running as root, but there is no `postgres` user to run the server as',
      'sudo apt-get install -y postgresql (it creates the user), or run as a normal user',
      { cause: error },
    );
  }
}

/** As root, the data folder must be reachable by `postgres`, which cannot enter /root: use /var/tmp. */
async function dataDir(
  ctx: ComponentContext,
  runAs: { uid: number; gid: number } | undefined,
): Promise<string> {
  if (runAs === undefined) return path.join(ctx.dir, 'data');
  const id = createHash('sha256').update(ctx.stateDir).digest('hex').slice(0, 12);
  const parent = path.join('/var/tmp', 'event-pipeline-postgres');
  await mkdir(parent, { recursive: true });
  await chmod(parent, 0o711);
  const base = path.join(parent, id);
  await mkdir(base, { recursive: true, mode: 0o700 });
  await chown(base, runAs.uid, runAs.gid);
  await ctx.ownExternalDir(base);
  return path.join(base, 'data');
}

async function probePostgres(url: string | undefined): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    await client.query('SELECT 1');
  } finally {
    await client.end();
  }
}

export function createPostgres(): Component {
  return {
    name: NAME,
    summary: `PostgreSQL (Debian's server) with fsync on`,
    debianPackages: () => [
      { component: NAME, package: 'postgresql', provides: '/usr/lib/postgresql' },
    ],
    prepare: async () => {
      await serverBinDir();
    },
    probe: (env) => probePostgres(env.DATABASE_URL),
    start: async (ctx) => {
      const bin = await serverBinDir();
      const runAs = await serviceUser();
      const port = await claimPort(NAME, ctx.fixedPort(NAME));
      const data = await dataDir(ctx, runAs);
      const password = randomPassword();
      const pwfile = path.join(path.dirname(data), 'pwfile');
      await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
      if (runAs !== undefined) await chown(pwfile, runAs.uid, runAs.gid);
      try {
        await run(
          path.join(bin, 'initdb'),
          [
            '-D',
            data,
            '-U',
            'postgres',
            `--pwfile=${pwfile}`,
            '--auth=scram-sha-256',
            '--encoding=UTF8',
            '--locale=C',
            '--no-instructions',
          ],
          runAs === undefined ? {} : { runAs },
        );
      } catch (error) {
        const output = error instanceof CommandFailed ? tail(error.output, 10) : String(error);
        throw new StackError(
          NAME,
          `initdb failed:\n${output}`,
          `check free disk space and permissions of ${path.dirname(data)}`,
          { cause: error },
        );
      }
      const record = await ctx.spawn({
        name: NAME,
        command: path.join(bin, 'postgres'),
        args: [
          '-D',
          data,
          '-c',
          `listen_addresses=${LOOPBACK}`,
          '-c',
          `port=${port}`,
          '-c',
          `unix_socket_directories=${data}`,
          '-c',
          'fsync=on',
          '-c',
          'max_connections=200',
          '-c',
          'shared_buffers=128MB',
        ],
        stopSignal: 'SIGINT',
        ...(runAs === undefined ? {} : { runAs }),
      });
      const url = `postgres://postgres:${password}@${LOOPBACK}:${port}/postgres`;
      await waitUntil(() => probePostgres(url), {
        component: NAME,
        what: 'a successful SELECT 1',
        timeoutMs: 60_000,
        process: record,
        signal: ctx.signal,
      });
      return { env: { DATABASE_URL: url }, endpoints: { postgres: `${LOOPBACK}:${port}` } };
    },
  };
}
