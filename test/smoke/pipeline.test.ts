// What `make up` runs: an event posted to ingest is stored once in PostgreSQL by the dedup consumer.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { eventually } from '../support/kubernetes.ts';
import { setting, uniqueName } from '../support/stack.ts';

describe('the local pipeline (make up)', () => {
  let pool: pg.Pool;
  let ingest: string;
  let apiKey: string;

  before(async () => {
    pool = new pg.Pool({ connectionString: await setting('DATABASE_URL'), max: 2 });
    ingest = await setting('INGEST_URL');
    apiKey = await setting('INGEST_API_KEY');
  });
  after(async () => {
    await pool.end();
  });

  const post = async (event: object) => {
    const res = await fetch(`${ingest}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(event),
    });
    assert.equal(res.status, 202, await res.text());
  };
  const stored = async (key: string) =>
    Number(
      (
        await pool.query<{ n: string }>('SELECT count(*) AS n FROM events WHERE dedup_key = $1', [
          key,
        ])
      ).rows[0]?.n,
    );

  it('stores a posted event once, even when the client sends it twice', async () => {
    const user = uniqueName('user');
    const id = uniqueName('evt');
    await post({ id, type: 'page_view', userId: user, properties: { path: '/pricing' } });
    await post({ id, type: 'page_view', userId: user, properties: { path: '/pricing' } });
    // Same user, same partition: once the marker is stored, both copies of `id` were processed.
    const marker = uniqueName('marker');
    await post({ id: marker, type: 'marker', userId: user });
    await eventually(
      'the marker to be stored',
      async () => ((await stored(marker)) === 1 ? true : undefined),
      60_000,
    );
    assert.equal(await stored(id), 1);
  });
});
