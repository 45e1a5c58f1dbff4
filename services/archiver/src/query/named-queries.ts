import { z } from 'zod';
import { ACTOR } from '../archive/columns.ts';

/** Params common to the named queries: an inclusive range of UTC days (the hive `date` column). */
const dateRange = {
  from: z.iso.date().default('1970-01-01'),
  to: z.iso.date().default('9999-12-31'),
};

export interface NamedQuery {
  readonly description: string;
  readonly params: z.ZodObject;
  readonly sql: string;
  /** Positional values for the statement ($1, $2, …) from the parsed params. */
  readonly values: (params: Record<string, unknown>) => (string | number)[];
}

const range = (params: Record<string, unknown>): string[] => [
  String(params.from),
  String(params.to),
];

/**
 * The queries people need first. Each is a fixed statement with positional parameters, so a
 * parameter is always a value, never SQL.
 */
export const NAMED_QUERIES = {
  'events-per-type-per-day': {
    description: 'events per type per UTC day',
    params: z.object(dateRange),
    sql: `SELECT date, type, count(*) AS events
          FROM events WHERE date BETWEEN $1::DATE AND $2::DATE
          GROUP BY date, type ORDER BY date, type`,
    values: range,
  },
  'daily-active-users': {
    description: 'distinct users (user id, else anonymous id) per UTC day',
    params: z.object(dateRange),
    // actor_hash: a 64-bit hash of the actor, stored in each part (see DERIVED_COLUMNS).
    sql: `SELECT date, count(DISTINCT actor_hash) AS users
          FROM events WHERE date BETWEEN $1::DATE AND $2::DATE
          GROUP BY date ORDER BY date`,
    values: range,
  },
  'top-properties': {
    description: 'top-level keys of properties by the number of events that carry them',
    params: z.object({ ...dateRange, limit: z.coerce.number().int().min(1).max(1000).default(20) }),
    sql: `SELECT key, count(*) AS events
          FROM (SELECT unnest(property_keys) AS key FROM events
                WHERE date BETWEEN $1::DATE AND $2::DATE)
          GROUP BY key ORDER BY events DESC, key LIMIT $3`,
    values: (params) => [...range(params), Number(params.limit)],
  },
  funnel: {
    description:
      'users who did event type `first`, and of them those who did `then` within `within` seconds after their first `first`',
    params: z.object({
      ...dateRange,
      first: z.string().min(1).max(200),
      then: z.string().min(1).max(200),
      within: z.coerce
        .number()
        .int()
        .min(1)
        .max(366 * 86_400)
        .default(86_400),
    }),
    sql: `WITH first_step AS (
            SELECT ${ACTOR} AS actor, min(received_at) AS at FROM events
            WHERE type = $3 AND date BETWEEN $1::DATE AND $2::DATE AND ${ACTOR} IS NOT NULL
            GROUP BY actor),
          second_step AS (
            SELECT DISTINCT f.actor FROM first_step f
            JOIN events e ON ${ACTOR.replaceAll('user_id', 'e.user_id').replaceAll('anonymous_id', 'e.anonymous_id')} = f.actor
            WHERE e.type = $4 AND e.date BETWEEN $1::DATE AND $2::DATE
              AND e.received_at > f.at AND e.received_at <= f.at + to_seconds($5::BIGINT))
          SELECT (SELECT count(*) FROM first_step) AS first_users,
                 (SELECT count(*) FROM second_step) AS converted_users`,
    values: (params) => [
      ...range(params),
      String(params.first),
      String(params.then),
      Number(params.within),
    ],
  },
} as const satisfies Record<string, NamedQuery>;

export type NamedQueryName = keyof typeof NAMED_QUERIES;

export function isNamedQuery(name: string): name is NamedQueryName {
  return Object.hasOwn(NAMED_QUERIES, name);
}

/** The statement and values of a named query, or a message naming the bad parameter. */
export function planNamedQuery(
  name: string,
  raw: Record<string, unknown>,
): { sql: string; values: (string | number)[] } | { error: string } {
  if (!isNamedQuery(name)) {
    return {
      error: `unknown named query "${name}"; known: ${Object.keys(NAMED_QUERIES).join(', ')}`,
    };
  }
  const query: NamedQuery = NAMED_QUERIES[name];
  const parsed = query.params.strict().safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) =>
      issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message,
    );
    return { error: `bad parameters for ${name}: ${problems.join('; ')}` };
  }
  return { sql: query.sql, values: query.values(parsed.data) };
}
