// The fault tools that guarantee tests use: kill -9, clean stop, and a restart on the same port and data.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { Redis } from 'ioredis';
import {
  down,
  killComponent,
  restartComponent,
  startComponent,
  status,
  stopComponent,
  up,
} from '@event-pipeline/stack';

describe('stack fault tools', () => {
  let stateDir: string;
  let env: Record<string, string>;

  before(async () => {
    stateDir = await mkdtemp(path.join(tmpdir(), 'stack-faults-'));
    env = (await up(['postgres', 'redis'], { stateDir })).env;
  });
  after(async () => {
    await down({ stateDir });
  });

  const query = async (sql: string) => {
    const client = new pg.Client({ connectionString: env.DATABASE_URL });
    await client.connect();
    try {
      return (await client.query<{ n: number }>(sql)).rows;
    } finally {
      await client.end();
    }
  };

  it('kills PostgreSQL with SIGKILL and starts it again on the same port, with committed data kept', async () => {
    await query('CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)');
    await killComponent({ stateDir, component: 'postgres' });
    assert.equal(
      (await status({ stateDir })).processes.find((p) => p.component === 'postgres')?.running,
      false,
    );
    await assert.rejects(query('SELECT 1'));
    await startComponent({ stateDir, component: 'postgres' });
    assert.deepEqual(await query('SELECT n FROM kept'), [{ n: 42 }]);
  });

  it('restarts Redis cleanly; without persistence its keys are gone (Redis loss)', async () => {
    const url = env.REDIS_URL ?? '';
    const before = new Redis(url);
    await before.set('k', 'v');
    before.disconnect();
    await restartComponent({ stateDir, component: 'redis' });
    const afterRestart = new Redis(url);
    try {
      assert.equal(await afterRestart.get('k'), null);
    } finally {
      afterRestart.disconnect();
    }
  });

  it('stops a component cleanly until it is started again', async () => {
    await stopComponent({ stateDir, component: 'redis' });
    assert.equal(
      (await status({ stateDir })).processes.find((p) => p.component === 'redis')?.running,
      false,
    );
    await startComponent({ stateDir, component: 'redis' });
    assert.equal(
      (await status({ stateDir })).processes.find((p) => p.component === 'redis')?.running,
      true,
    );
  });
});
