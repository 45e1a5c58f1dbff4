/**
 * The series selectors of a PromQL expression (metric name and the label names it matches on), by a
 * small lexer: enough for the chart's alerts and dashboard, strict where it matters. Identifiers
 * before `(` are functions; `by (...)`, `on (...)` and their kind are label lists; strings, ranges,
 * numbers and Grafana variables are skipped.
 */
export interface Selector {
  readonly metric: string;
  readonly labels: readonly string[];
}

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);
/** Aggregations, which may be followed by `by (...)` before their parenthesis. */
const AGGREGATIONS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
]);
const LABEL_LISTS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const IDENT_START = /[a-zA-Z_:]/;
const IDENT = /[a-zA-Z0-9_:]/;
const NUMBER = /^(0x[0-9a-f]+|[0-9]*\.?[0-9]+(e[+-]?[0-9]+)?)(ms|s|m|h|d|w|y)*/i;

export function selectors(expr: string): Selector[] {
  const found: Selector[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < expr.length && /\s/.test(expr.charAt(i))) i += 1;
  };
  const skipString = () => {
    const quote = expr.charAt(i);
    i += 1;
    while (i < expr.length && expr.charAt(i) !== quote) i += expr.charAt(i) === '\\' ? 2 : 1;
    if (i >= expr.length) throw new Error(`unterminated string in: ${expr}`);
    i += 1;
  };
  const skipUntil = (close: string) => {
    const end = expr.indexOf(close, i);
    if (end < 0) throw new Error(`no '${close}' after position ${i} in: ${expr}`);
    i = end + 1;
  };
  const matchers = (): string[] => {
    const labels: string[] = [];
    i += 1; // '{'
    for (;;) {
      skipSpace();
      const c = expr.charAt(i);
      if (c === '}') break;
      if (c === ',') i += 1;
      else if (c === '"' || c === "'" || c === '`') skipString();
      else if (IDENT_START.test(c)) {
        const start = i;
        while (IDENT.test(expr.charAt(i))) i += 1;
        labels.push(expr.slice(start, i));
      } else if ('=!~'.includes(c)) i += 1;
      else throw new Error(`unexpected '${c}' in a label matcher of: ${expr}`);
    }
    i += 1; // '}'
    return labels;
  };

  while (i < expr.length) {
    const c = expr.charAt(i);
    if (/\s/.test(c)) i += 1;
    else if (c === '"' || c === "'" || c === '`') skipString();
    else if (c === '[') skipUntil(']');
    else if (c === '$') {
      i += 1;
      if (expr.charAt(i) === '{') skipUntil('}');
      else while (IDENT.test(expr.charAt(i))) i += 1;
    } else if (c === '{') found.push({ metric: '', labels: matchers() });
    else if (/[0-9.]/.test(c)) {
      const number = NUMBER.exec(expr.slice(i));
      if (number === null) throw new Error(`bad number at position ${i} in: ${expr}`);
      i += number[0].length;
    } else if (IDENT_START.test(c)) {
      const start = i;
      while (IDENT.test(expr.charAt(i))) i += 1;
      const word = expr.slice(start, i);
      skipSpace();
      const next = expr.charAt(i);
      if (LABEL_LISTS.has(word.toLowerCase())) {
        if (next === '(') skipUntil(')');
      } else if (KEYWORDS.has(word.toLowerCase()) || AGGREGATIONS.has(word) || next === '(') {
        // an operator keyword, an aggregation or a function name
      } else {
        found.push({ metric: word, labels: next === '{' ? matchers() : [] });
      }
    } else i += 1; // operators, parentheses, commas
  }
  return found;
}
