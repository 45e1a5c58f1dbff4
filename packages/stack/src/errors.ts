/** A failure the user can act on: which component, what went wrong, and how to fix it. */
export class StackError extends Error {
  readonly component: string;
  readonly fix: string;

  constructor(component: string, problem: string, fix: string, options?: { cause?: unknown }) {
    super(`[${component}] ${problem}\n  fix: ${fix}`, options);
    this.name = 'StackError';
    this.component = component;
    this.fix = fix;
  }
}

export function describeError(error: unknown): string {
  if (error instanceof AggregateError) {
    return error.errors.map(describeError).join('\n');
  }
  return error instanceof Error ? error.message : String(error);
}
