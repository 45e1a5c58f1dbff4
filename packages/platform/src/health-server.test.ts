import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { createMetrics } from './metrics.ts';
import { startHealthServer } from './health-server.ts';
import type { HealthServer } from './health-server.ts';
import type { ReadinessCheck } from './readiness.ts';

interface Answer {
  status: number;
  contentType: string | null;
  body: string;
}

async function get(server: HealthServer, path: string, method = 'GET'): Promise<Answer> {
  const response = await fetch(`http://127.0.0.1:${server.port}${path}`, { method });
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: await response.text(),
  };
}

function toggle(name: string) {
  const state = { up: true, calls: 0 };
  const check: ReadinessCheck = {
    name,
    check: () => {
      state.calls += 1;
      return state.up ? Promise.resolve() : Promise.reject(new Error(`${name} unreachable`));
    },
  };
  return { state, check };
}

describe('startHealthServer over real HTTP', () => {
  const kafka = toggle('kafka');
  const postgres = toggle('postgres');
  const metrics = createMetrics({ pipeline: 'clickstream' });
  metrics.counter({ name: 'events_total', help: 'Events.' }).inc(2);
  let server: HealthServer;

  before(async () => {
    server = await startHealthServer({
      port: 0,
      host: '127.0.0.1',
      registry: metrics.registry,
      checks: [kafka.check, postgres.check],
    });
  });
  after(() => server.close());

  it('binds a free port when asked for port 0', () => {
    assert.ok(server.port > 0);
  });

  it('/livez answers 200 without running any check', async () => {
    const before = kafka.state.calls;
    const answer = await get(server, '/livez');
    assert.equal(answer.status, 200);
    assert.deepEqual(JSON.parse(answer.body), { status: 'ok' });
    assert.equal(kafka.state.calls, before);
  });

  it('/metrics serves the registry in Prometheus text format', async () => {
    const answer = await get(server, '/metrics');
    assert.equal(answer.status, 200);
    assert.equal(answer.contentType, 'text/plain; version=0.0.4; charset=utf-8');
    assert.match(answer.body, /^eventpipeline_events_total\{pipeline="clickstream"\} 2$/m);
  });

  it('/readyz answers 200 when every check passes', async () => {
    const answer = await get(server, '/readyz?verbose=1');
    assert.equal(answer.status, 200);
    const body = JSON.parse(answer.body) as { status: string; checks: { name: string }[] };
    assert.equal(body.status, 'ok');
    assert.deepEqual(
      body.checks.map((check) => check.name),
      ['kafka', 'postgres'],
    );
  });

  it('/readyz answers 503 naming the failing check', async () => {
    postgres.state.up = false;
    try {
      const answer = await get(server, '/readyz');
      assert.equal(answer.status, 503);
      const body = JSON.parse(answer.body) as {
        status: string;
        checks: { name: string; ok: boolean; error?: string }[];
      };
      assert.equal(body.status, 'not_ready');
      assert.deepEqual(
        body.checks.map(({ name, ok, error }) => ({ name, ok, error })),
        [
          { name: 'kafka', ok: true, error: undefined },
          { name: 'postgres', ok: false, error: 'postgres unreachable' },
        ],
      );
    } finally {
      postgres.state.up = true;
    }
  });

  it('answers HEAD without a body, 404 for other paths and 405 for other methods', async () => {
    const head = await get(server, '/livez', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.equal((await get(server, '/nope')).status, 404);
    const post = await fetch(`http://127.0.0.1:${server.port}/readyz`, { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    await post.body?.cancel();
  });

  it('/readyz answers 503 without running checks once marked not ready', async () => {
    const calls = kafka.state.calls;
    server.markNotReady('shutting down');
    const answer = await get(server, '/readyz');
    assert.equal(answer.status, 503);
    assert.deepEqual(JSON.parse(answer.body), {
      status: 'shutting_down',
      reason: 'shutting down',
    });
    assert.equal(kafka.state.calls, calls);
    assert.equal((await get(server, '/livez')).status, 200);
  });
});

describe('readiness check timeouts', () => {
  it('fail a hanging check after its timeout and abort its signal', async () => {
    let aborted = false;
    const hanging: ReadinessCheck = {
      name: 'redis',
      timeoutMs: 30,
      check: (signal) =>
        new Promise<void>(() => {
          signal.addEventListener('abort', () => {
            aborted = true;
          });
        }),
    };
    const server = await startHealthServer({
      port: 0,
      host: '127.0.0.1',
      registry: createMetrics().registry,
      checks: [hanging],
      checkTimeoutMs: 10_000,
    });
    try {
      const started = performance.now();
      const answer = await get(server, '/readyz');
      assert.ok(performance.now() - started < 2_000);
      assert.equal(answer.status, 503);
      assert.match(answer.body, /"error":"timed out after 30ms"/);
      assert.equal(aborted, true);
    } finally {
      await server.close();
    }
  });

  it('share one run between probes that arrive together', async () => {
    let calls = 0;
    const slow: ReadinessCheck = {
      name: 'slow',
      check: async () => {
        calls += 1;
        await sleep(30);
      },
    };
    const server = await startHealthServer({
      port: 0,
      host: '127.0.0.1',
      registry: createMetrics().registry,
      checks: [slow],
    });
    try {
      const answers = await Promise.all([get(server, '/readyz'), get(server, '/readyz')]);
      assert.deepEqual(
        answers.map((answer) => answer.status),
        [200, 200],
      );
      assert.equal(calls, 1);
      await get(server, '/readyz');
      assert.equal(calls, 2);
    } finally {
      await server.close();
    }
  });
});
