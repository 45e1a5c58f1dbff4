import { ARCHIVED_COLUMNS, DERIVED_COLUMNS } from '../archive/columns.ts';

/**
 * The select list of the catalog's `events` view, given how many of the `files` parts carry each
 * derived column (parts written before a column existed lack it):
 * - every part has it: read it;
 * - some do: read it where present, compute it where not (union_by_name gives NULL there);
 * - none does: compute it, so the view still has the column (reading it would fail to bind).
 * The stored columns are always read as they are.
 */
export function viewColumns(partsWith: ReadonlyMap<string, number>, files: number): string {
  const derived = DERIVED_COLUMNS.map(([name, , expression]) => {
    const having = partsWith.get(name) ?? 0;
    if (having >= files) return name;
    if (having === 0) return `${expression} AS ${name}`;
    return `coalesce(${name}, ${expression}) AS ${name}`;
  });
  return [...ARCHIVED_COLUMNS.map(([name]) => name), ...derived].join(', ');
}
