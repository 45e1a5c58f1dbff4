/** Deep copy with object keys sorted and undefined fields dropped, so equal states serialize equally. */
export function stable<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => stable(item)) as T;
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const field = (value as Record<string, unknown>)[key];
    if (field !== undefined) out[key] = stable(field);
  }
  return out as T;
}
