import type { Family } from './prom-text';

/**
 * What a PromQL expression needs from /metrics: the metric names it selects, the labels it
 * matches or groups by, and the exact label values it compares with (`label="value"`). A small
 * extractor for the expressions of ops/ (selectors, `by (…)`, `label_values(…)`), not a parser.
 */
export interface Refs {
  metrics: Set<string>;
  /** label → the metrics of the expression (the label must be on one of them). */
  labels: Map<string, Set<string>>;
  /** `metric label value` for each exact matcher. */
  values: Array<[string, string, string]>;
}

const METRIC = /\b((?:hospital_demo|resilience)_[a-zA-Z0-9_:]*)\s*(\{([^}]*)\})?/g;
const MATCHER = /([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g;
const GROUPING = /\b(?:by|without)\s*\(([^)]*)\)/g;
const LABEL_VALUES = /label_values\(\s*([^,]+?)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)/g;

export function refsOf(expr: string): Refs {
  const refs: Refs = { metrics: new Set(), labels: new Map(), values: [] };
  const label = (name: string, metrics: Iterable<string>) => {
    const set = refs.labels.get(name) ?? new Set<string>();
    for (const m of metrics) set.add(m);
    refs.labels.set(name, set);
  };
  const local: Array<[string, string]> = [];
  for (const m of expr.matchAll(METRIC)) {
    const metric = m[1] as string;
    refs.metrics.add(metric);
    for (const x of (m[3] ?? '').matchAll(MATCHER)) {
      const [, name, op, value] = x as unknown as [string, string, string, string];
      local.push([metric, name]);
      if (op === '=' && !value.includes('$')) refs.values.push([metric, name, value]);
    }
  }
  for (const [metric, name] of local) label(name, [metric]);
  for (const g of expr.matchAll(GROUPING)) {
    for (const name of (g[1] as string)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      label(name, refs.metrics);
    }
  }
  for (const lv of expr.matchAll(LABEL_VALUES)) {
    const metric = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(lv[1] as string)?.[0] ?? '';
    label(lv[2] as string, [metric]);
  }
  return refs;
}

/** What `refs` asks for and the exposition does not have, as readable lines (empty: all there). */
export function missingFrom(families: Iterable<Family>, refs: Refs): string[] {
  const samples = [...families].flatMap((f) => f.samples);
  const of = (metric: string) =>
    samples.filter((s) => s.name === metric || s.name === `${metric}_bucket`);
  const missing: string[] = [];
  for (const metric of refs.metrics) {
    if (of(metric).length === 0) missing.push(`metric ${metric}`);
  }
  for (const [name, metrics] of refs.labels) {
    const found = [...metrics].some((m) => of(m).some((s) => name in s.labels));
    if (!found) missing.push(`label ${name} on ${[...metrics].join(' or ')}`);
  }
  for (const [metric, name, value] of refs.values) {
    if (!of(metric).some((s) => s.labels[name] === value)) {
      missing.push(`${metric}{${name}="${value}"}`);
    }
  }
  return missing;
}
