import { StatementType } from '@duckdb/node-api';
import type { DuckDBValue } from '@duckdb/node-api';
import type { ArchiveReader } from './archive-reader.ts';

export interface QueryLimits {
  readonly timeoutMs: number;
  readonly maxRows: number;
}

export interface QueryResult {
  readonly columns: readonly string[];
  /** Rows as JSON-safe objects (big integers and decimals as strings, timestamps ISO). */
  readonly rows: readonly Record<string, unknown>[];
  /** More rows existed than the limit allowed; the rest were not read. */
  readonly truncated: boolean;
  readonly elapsedMs: number;
}

/** A query the caller got wrong: refused before running, or rejected by DuckDB. HTTP 400. */
export class QueryRejectedError extends Error {
  override readonly name = 'QueryRejectedError';
}

/** The query ran longer than its timeout and was interrupted. HTTP 408/504. */
export class QueryTimeoutError extends Error {
  override readonly name = 'QueryTimeoutError';
}

const STATEMENT_NAMES = new Map<number, string>(
  Object.entries(StatementType)
    .filter(([, value]) => typeof value === 'number')
    .map(([name, value]) => [value as number, name]),
);

/**
 * Runs one read-only statement over the archive. The statement is parsed by DuckDB itself and
 * refused unless it is exactly one SELECT (WITH … SELECT counts); the connection is read-only
 * and locked down anyway. Reads at most maxRows (+1 to tell truncation), interrupts at timeout.
 */
export async function runQuery(
  reader: ArchiveReader,
  sql: string,
  limits: QueryLimits,
  params: readonly DuckDBValue[] = [],
): Promise<QueryResult> {
  const started = performance.now();
  const conn = await reader.connect();
  try {
    let extracted;
    try {
      extracted = await conn.extractStatements(sql);
    } catch (error) {
      throw new QueryRejectedError(cleanMessage(error));
    }
    if (extracted.count !== 1) {
      throw new QueryRejectedError(
        `send exactly one statement (got ${extracted.count}); only a single SELECT or WITH … SELECT is accepted`,
      );
    }
    // Gate 1, at parse level before any binding: DuckDB serializes SELECT statements only.
    const parsed = await conn.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR) AS tree', [
      sql,
    ]);
    const text = parsed.getRowObjectsJS()[0]?.tree;
    const tree = JSON.parse(typeof text === 'string' ? text : '{}') as { error?: boolean };
    if (tree.error === true) throw new QueryRejectedError(notSelect(firstWord(sql)));
    // Gate 2: the prepared statement's own type.
    let prepared;
    try {
      prepared = await extracted.prepare(0);
    } catch (error) {
      throw new QueryRejectedError(cleanMessage(error));
    }
    if (prepared.statementType !== StatementType.SELECT) {
      throw new QueryRejectedError(
        notSelect(STATEMENT_NAMES.get(prepared.statementType) ?? 'unknown'),
      );
    }
    if (params.length !== prepared.parameterCount) {
      throw new QueryRejectedError(
        `the statement takes ${prepared.parameterCount} parameter(s), ${params.length} given`,
      );
    }
    if (params.length > 0) prepared.bind([...params]);
    const state = { timedOut: false };
    const timer = setTimeout(() => {
      state.timedOut = true;
      conn.interrupt();
    }, limits.timeoutMs);
    try {
      const result = await prepared.streamAndReadUntil(limits.maxRows + 1);
      const rows = result.getRowObjectsJson() as Record<string, unknown>[];
      return {
        columns: result.columnNames(),
        rows: rows.slice(0, limits.maxRows),
        truncated: rows.length > limits.maxRows,
        elapsedMs: performance.now() - started,
      };
    } catch (error) {
      if (state.timedOut) {
        throw new QueryTimeoutError(
          `the query ran longer than ${limits.timeoutMs} ms and was stopped; narrow it (a date range on the date column prunes whole days) or raise QUERY_TIMEOUT`,
        );
      }
      throw new QueryRejectedError(cleanMessage(error));
    } finally {
      clearTimeout(timer);
    }
  } finally {
    conn.closeSync();
  }
}

function notSelect(kind: string): string {
  return `only SELECT (or WITH … SELECT) statements are accepted over the archive; got a ${kind} statement`;
}

function firstWord(sql: string): string {
  return (
    /[A-Za-z_]+/.exec(sql.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, ''))?.[0] ?? 'non-SELECT'
  ).toUpperCase();
}

function cleanMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (
    message
      .replace(/^Failed to (extract statements|prepare statement): /, '')
      .split('\n\nLINE')[0] ?? message
  );
}
