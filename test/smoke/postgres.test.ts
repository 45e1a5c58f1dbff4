import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kysely, PostgresDialect, sql, type Generated } from 'kysely';
import pg from 'pg';
import { setting, uniqueName } from '../support/stack.ts';

interface Database {
  smoke_events: { id: Generated<number>; type: string; properties: unknown; received_at: Date };
}

describe('PostgreSQL from the stack', () => {
  let pool: pg.Pool;
  let db: Kysely<Database>;
  const schema = uniqueName('smoke').replaceAll('-', '_');

  before(async () => {
    pool = new pg.Pool({ connectionString: await setting('DATABASE_URL'), max: 4 });
    await pool.query(`CREATE SCHEMA ${schema}`);
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }).withSchema(schema);
  });
  after(async () => {
    await pool.query(`DROP SCHEMA ${schema} CASCADE`);
    await db.destroy();
  });

  it('answers pg queries with fsync on', async () => {
    const { rows } = await pool.query<{ fsync: string; sum: number }>(
      "SELECT current_setting('fsync') AS fsync, 1 + 1 AS sum",
    );
    assert.deepEqual(rows, [{ fsync: 'on', sum: 2 }]);
  });

  it('runs kysely schema, insert and typed select with JSONB', async () => {
    await db.schema
      .createTable('smoke_events')
      .addColumn('id', 'serial', (c) => c.primaryKey())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('properties', 'jsonb', (c) => c.notNull())
      .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
    await db
      .insertInto('smoke_events')
      .values([
        { type: 'page_view', properties: JSON.stringify({ path: '/' }), received_at: new Date() },
        { type: 'signup', properties: JSON.stringify({ plan: 'pro' }), received_at: new Date() },
      ])
      .execute();
    const rows = await db
      .selectFrom('smoke_events')
      .select(['type', 'properties'])
      .where('type', '=', 'signup')
      .execute();
    assert.deepEqual(rows, [{ type: 'signup', properties: { plan: 'pro' } }]);
  });
});
