import { rm } from 'node:fs/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { ARCHIVED_COLUMNS, DERIVED_COLUMNS } from '../archive/columns.ts';
import { publishFile } from '../archive/durable-files.ts';
import { catalogPath, partsGlob } from '../archive/hive-layout.ts';
import { duckLiteral } from '../archive/parquet-files.ts';
import { viewColumns } from './view-columns.ts';

/**
 * (Re)builds <archive>/catalog.duckdb: a view `events` over every Parquet part (hive columns
 * `pipeline` and `date` added), so `duckdb catalog.duckdb` opens the whole history. The views read
 * the glob at query time, so new parts show up without a refresh; the file is rebuilt beside and
 * renamed into place, so readers holding the old one keep working.
 */
export async function refreshCatalog(archiveDir: string, pipeline: string): Promise<string> {
  const target = catalogPath(archiveDir);
  // Built under a name of this pipeline's own: runs of two pipelines may refresh at once.
  const temp = `${target}.${pipeline}.tmp`;
  await rm(temp, { force: true });
  await rm(`${temp}.wal`, { force: true });
  const instance = await DuckDBInstance.create(temp);
  try {
    const conn = await instance.connect();
    try {
      const all = [...ARCHIVED_COLUMNS, ...DERIVED_COLUMNS];
      const glob = duckLiteral(partsGlob(archiveDir));
      const parts = await partsSchema(conn, glob);
      const source =
        parts.files > 0
          ? `SELECT pipeline, date, ${viewColumns(parts.withColumn, parts.files)}
           FROM read_parquet(${glob},
             hive_partitioning = true, hive_types = {'pipeline': VARCHAR, 'date': DATE}, union_by_name = true)`
          : `SELECT NULL::VARCHAR AS pipeline, NULL::DATE AS date, ${all
              .map(([name, type]) => `NULL::${type} AS ${name}`)
              .join(', ')} WHERE false`;
      await conn.run(`CREATE OR REPLACE VIEW events AS ${source}`);
      await conn.run(
        `COMMENT ON VIEW events IS ${duckLiteral(`every archived event under ${archiveDir}; refreshed by each archive run`)}`,
      );
      await conn.run('CHECKPOINT');
    } finally {
      conn.closeSync();
    }
  } finally {
    instance.closeSync();
  }
  await publishFile(temp, target);
  return target;
}

/** How many parts there are, and how many of them carry each derived column (footers only). */
async function partsSchema(
  conn: DuckDBConnection,
  glob: string,
): Promise<{ files: number; withColumn: Map<string, number> }> {
  const counted = await conn.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM glob(${glob})`);
  const files = Number(counted.getRowObjectsJS()[0]?.n ?? 0);
  const withColumn = new Map<string, number>();
  if (files === 0) return { files, withColumn };
  const names = DERIVED_COLUMNS.map(([name]) => duckLiteral(name)).join(', ');
  const reader = await conn.runAndReadAll(`
    SELECT name, count(DISTINCT file_name)::INTEGER AS files FROM parquet_schema(${glob})
    WHERE name IN (${names}) GROUP BY name`);
  for (const row of reader.getRowObjectsJS()) {
    if (typeof row.name === 'string') withColumn.set(row.name, Number(row.files));
  }
  return { files, withColumn };
}
