import type { z } from 'zod';

export type EnvSource = Readonly<Record<string, string | undefined>>;

export interface ConfigProblem {
  /** The environment variable, or "(config)" for a rule that spans several variables. */
  readonly variable: string;
  readonly reason: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(formatProblems(problems));
    this.problems = problems;
  }
}

const SECRET_NAME = /KEY|SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL|AUTH/i;
const URL_USERINFO = /:\/\/.*@/s;
const MAX_SHOWN_LENGTH = 80;

/**
 * Parses the environment through a zod object schema, once, from a service's main.ts.
 * Empty variables count as unset (Kubernetes renders optional values as ""), so defaults apply.
 * Throws a ConfigError listing every bad variable; values of secret-looking variables are never
 * shown, and credentials inside URLs are masked.
 */
export function parseConfig<S extends z.ZodType>(
  schema: S,
  source: EnvSource = process.env,
): z.output<S> {
  const env = withoutEmpty(source);
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((issue) => problemOf(issue, env)));
}

/** Whether a variable's value must never appear in messages or logs. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** A value as it may be shown in an error message, or undefined when it must stay hidden. */
export function showableValue(name: string, value: string): string | undefined {
  if (isSecretName(name)) return undefined;
  const masked = value.replace(URL_USERINFO, '://***@');
  const shortened =
    masked.length > MAX_SHOWN_LENGTH ? `${masked.slice(0, MAX_SHOWN_LENGTH)}…` : masked;
  return JSON.stringify(shortened);
}

function withoutEmpty(source: EnvSource): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value !== undefined && value !== '') env[name] = value;
  }
  return env;
}

function problemOf(issue: z.core.$ZodIssue, env: Record<string, string>): ConfigProblem {
  const [first] = issue.path;
  if (first === undefined) return { variable: '(config)', reason: issue.message };
  const variable = issue.path.map(String).join('.');
  const value = Object.hasOwn(env, variable) ? env[variable] : undefined;
  if (value === undefined) {
    return {
      variable,
      reason: issue.code === 'invalid_type' ? 'is required but not set' : issue.message,
    };
  }
  const shown = showableValue(variable, value);
  return {
    variable,
    reason: `${issue.message} (${shown === undefined ? 'value hidden' : `got ${shown}`})`,
  };
}

function formatProblems(problems: readonly ConfigProblem[]): string {
  const lines = problems.map(({ variable, reason }) => `  ${variable}: ${reason}`);
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return `invalid configuration (${count}):\n${lines.join('\n')}`;
}
