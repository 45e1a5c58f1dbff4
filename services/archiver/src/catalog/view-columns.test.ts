import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ARCHIVED_COLUMNS, DERIVED_COLUMNS } from '../archive/columns.ts';
import { viewColumns } from './view-columns.ts';

const stored = ARCHIVED_COLUMNS.map(([name]) => name).join(', ');
const [keys, actor] = DERIVED_COLUMNS;

describe('catalog view columns', () => {
  it('reads the derived columns when every part has them', () => {
    const all = new Map(DERIVED_COLUMNS.map(([name]) => [name, 4]));
    assert.equal(viewColumns(all, 4), `${stored}, property_keys, actor_hash`);
  });

  it('computes a derived column no part has, and coalesces one that only some parts have', () => {
    const columns = viewColumns(
      new Map([
        ['property_keys', 4],
        ['actor_hash', 1],
      ]),
      4,
    );
    assert.equal(
      columns,
      `${stored}, property_keys, coalesce(actor_hash, ${actor[2]}) AS actor_hash`,
    );
    const none = viewColumns(new Map(), 2);
    assert.equal(none, `${stored}, ${keys[2]} AS property_keys, ${actor[2]} AS actor_hash`);
  });
});
