import type { DuckDBConnection } from '@duckdb/node-api';
import { ARCHIVED_COLUMNS, DERIVED_COLUMNS, DUCKDB_CHECKSUM } from './columns.ts';
import type { DayStats } from './columns.ts';

/** A text value as a DuckDB string literal. */
export function duckLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

const CSV_BUFFER_BYTES = 4 * 1024 * 1024;

const CSV_COLUMNS = `{${ARCHIVED_COLUMNS.map(([name, type]) => `${duckLiteral(name)}: ${duckLiteral(type)}`).join(', ')}}`;

/**
 * Converts PostgreSQL's CSV (FORMAT csv: NULL unquoted empty, "" an empty string) into one zstd
 * Parquet file, streaming through DuckDB within its memory limit. zstd level 1: about twice as fast
 * as the default level here, for ~2% larger files. Row groups of 30,720 rows: the Parquet writer
 * buffers whole row groups per thread outside DuckDB's memory_limit, and wide JSON rows made
 * 122,880-row groups cost ~150 MiB more peak RSS on a 1 M-row day. CSV buffers of 4 MiB instead
 * of DuckDB's default 32 MiB (16 × max_line_size): read from the named pipe, the default took peak
 * RSS over 512 MiB in bench-archive. Lines may still be up to max_line_size (2 MB) long, far above
 * the ingest's largest event.
 */
export async function csvToParquet(
  duck: DuckDBConnection,
  csvPath: string,
  parquetPath: string,
): Promise<void> {
  await duck.run(`
    COPY (
      SELECT *, ${DERIVED_COLUMNS.map(([name, , expression]) => `${expression} AS ${name}`).join(', ')}
      FROM read_csv(${duckLiteral(csvPath)},
        columns = ${CSV_COLUMNS}, header = false, auto_detect = false,
        delim = ',', quote = '"', escape = '"', allow_quoted_nulls = false, buffer_size = ${CSV_BUFFER_BYTES})
    ) TO ${duckLiteral(parquetPath)} (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, ROW_GROUP_SIZE 30720)`);
}

/** Row count and dedup-key checksum of a Parquet file, read back from disk. */
export async function parquetStats(duck: DuckDBConnection, parquetPath: string): Promise<DayStats> {
  const reader = await duck.runAndReadAll(
    `SELECT count(*)::BIGINT::VARCHAR AS rows, ${DUCKDB_CHECKSUM} AS checksum FROM read_parquet(${duckLiteral(parquetPath)})`,
  );
  const [row] = reader.getRowObjectsJS();
  if (row === undefined) throw new Error(`no result reading ${parquetPath}`);
  return { rows: Number(row.rows), checksum: scalarText(row.checksum) };
}

/**
 * How many rows of an existing part are also in a new export of the same day, matched by their
 * identity (dedup key and Kafka position, unique per stored row).
 */
export async function overlap(
  duck: DuckDBConnection,
  partPath: string,
  newPath: string,
): Promise<{ rows: number; shared: number }> {
  const identity = 'dedup_key, kafka_partition, kafka_offset';
  const reader = await duck.runAndReadAll(`
    SELECT (SELECT count(*) FROM read_parquet(${duckLiteral(partPath)}))::BIGINT::VARCHAR AS rows,
           (SELECT count(*) FROM (SELECT ${identity} FROM read_parquet(${duckLiteral(partPath)})) AS p
              SEMI JOIN (SELECT ${identity} FROM read_parquet(${duckLiteral(newPath)})) AS n
              USING (${identity}))::BIGINT::VARCHAR AS shared`);
  const [row] = reader.getRowObjectsJS();
  if (row === undefined) throw new Error(`no result comparing ${partPath}`);
  return { rows: Number(row.rows), shared: Number(row.shared) };
}

function scalarText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return value.toString();
  throw new Error(`expected a scalar from DuckDB, got ${typeof value}`);
}
