import type { Logger } from '@event-pipeline/platform';
import type { ArchiveReader } from './archive-reader.ts';
import { NAMED_QUERIES, planNamedQuery } from './named-queries.ts';
import { QueryRejectedError, runQuery } from './run-query.ts';
import type { QueryLimits, QueryResult } from './run-query.ts';

/** The one query path behind both the CLI and the HTTP endpoint. */
export interface QueryService {
  sql(text: string): Promise<QueryResult>;
  named(name: string, params: Record<string, unknown>): Promise<QueryResult>;
  list(): { name: string; description: string; params: string[] }[];
}

export function createQueryService(
  reader: ArchiveReader,
  limits: QueryLimits,
  logger: Logger,
): QueryService {
  return {
    async sql(text) {
      const result = await runQuery(reader, text, limits);
      logger.debug({ rows: result.rows.length, ms: Math.round(result.elapsedMs) }, 'query ran');
      return result;
    },
    async named(name, params) {
      const plan = planNamedQuery(name, params);
      if ('error' in plan) throw new QueryRejectedError(plan.error);
      return runQuery(reader, plan.sql, limits, plan.values);
    },
    list() {
      return Object.entries(NAMED_QUERIES).map(([name, query]) => ({
        name,
        description: query.description,
        params: Object.keys(query.params.shape),
      }));
    },
  };
}
