import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { Component } from '../component.ts';
import { LOOPBACK, claimPort } from '../ports.ts';
import { randomPassword } from '../secrets.ts';
import { waitUntil } from '../wait.ts';

const NAME = 'redis';

export interface RedisOptions {
  /** Append-only file persistence (off by default: Redis is a cache in this platform). */
  aof?: boolean;
}

export function redisConfig(port: number, dir: string, password: string, aof: boolean): string {
  return [
    `bind ${LOOPBACK}`,
    `port ${port}`,
    'protected-mode yes',
    'daemonize no',
    `dir ${dir}`,
    'save ""',
    `appendonly ${aof ? 'yes' : 'no'}`,
    'appendfsync everysec',
    `requirepass ${password}`,
    'maxmemory-policy noeviction',
    '',
  ].join('\n');
}

async function probeRedis(url: string | undefined): Promise<void> {
  if (url === undefined) throw new Error('no REDIS_URL');
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  client.on('error', () => undefined); // the probe's own rejection carries the error
  try {
    await client.connect();
    await client.ping();
  } finally {
    client.disconnect();
  }
}

export function createRedis(options: RedisOptions = {}): Component {
  return {
    name: NAME,
    summary: `Redis (Debian's redis-server), ${options.aof === true ? 'AOF persistence' : 'no persistence'}`,
    debianPackages: () => [{ component: NAME, package: 'redis-server', provides: 'redis-server' }],
    prepare: async () => {
      // nothing to download: Debian's package is the binary
    },
    probe: (env) => probeRedis(env.REDIS_URL),
    start: async (ctx) => {
      const port = await claimPort(NAME, ctx.fixedPort(NAME));
      const password = randomPassword();
      const conf = path.join(ctx.dir, 'redis.conf');
      await writeFile(conf, redisConfig(port, ctx.dir, password, options.aof === true), {
        mode: 0o600,
      });
      const record = await ctx.spawn({ name: NAME, command: 'redis-server', args: [conf] });
      const url = `redis://:${password}@${LOOPBACK}:${port}`;
      await waitUntil(() => probeRedis(url), {
        component: NAME,
        what: 'PING answered with PONG',
        timeoutMs: 30_000,
        process: record,
        signal: ctx.signal,
      });
      return { env: { REDIS_URL: url }, endpoints: { redis: `${LOOPBACK}:${port}` } };
    },
  };
}
