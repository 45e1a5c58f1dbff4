const QUANTITY = /^([+-]?[0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const FACTORS: Readonly<Record<string, number>> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A Kubernetes quantity ("500m", "1k", "256Mi") as a number, or undefined when it is not one. */
export function parseQuantity(text: string): number | undefined {
  const match = QUANTITY.exec(text);
  if (match === null) return undefined;
  const factor = FACTORS[match[2] ?? ''];
  return factor === undefined ? undefined : Number(match[1]) * factor;
}

/** The API server's canonical form of a whole number: 1000 → "1k", 1500 → "1500", 2e6 → "2M". */
export function canonicalQuantity(value: number): string {
  if (!Number.isSafeInteger(value) || value === 0) return String(value);
  for (const [suffix, factor] of [
    ['E', 1e18],
    ['P', 1e15],
    ['T', 1e12],
    ['G', 1e9],
    ['M', 1e6],
    ['k', 1e3],
  ] as const) {
    if (value % factor === 0) return `${value / factor}${suffix}`;
  }
  return String(value);
}
