/**
 * A strict parser of the Prometheus text exposition format 0.0.4, for tests: it throws on what a
 * Prometheus server would refuse (a second HELP or TYPE for a name, a family split in two, a
 * sample before its family's TYPE or of another name, a malformed label or value, the same series
 * twice) and on histograms whose buckets do not add up (`+Inf` bucket = `_count`, cumulative).
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string | undefined;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Record<string, string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

function parseValue(raw: string, line: number): number {
  if (raw === '+Inf') return Number.POSITIVE_INFINITY;
  if (raw === '-Inf') return Number.NEGATIVE_INFINITY;
  if (raw === 'NaN') return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw))
    throw new Error(`line ${line}: bad value "${raw}"`);
  return Number(raw);
}

/** `name{a="x",b="y"} value [timestamp]` */
function parseSample(text: string, line: number): Sample {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{|\s)/.exec(text);
  if (!m?.[1]) throw new Error(`line ${line}: bad metric name`);
  const name = m[1];
  let i = name.length;
  const labels: Record<string, string> = {};
  if (text[i] === '{') {
    i++;
    while (text[i] !== '}') {
      const eq = text.indexOf('=', i);
      if (eq < 0) throw new Error(`line ${line}: label without =`);
      const key = text.slice(i, eq);
      if (!LABEL.test(key)) throw new Error(`line ${line}: bad label name "${key}"`);
      if (key in labels) throw new Error(`line ${line}: label "${key}" twice`);
      if (text[eq + 1] !== '"') throw new Error(`line ${line}: label value not quoted`);
      let j = eq + 2;
      let value = '';
      for (;;) {
        const ch = text[j];
        if (ch === undefined) throw new Error(`line ${line}: unterminated label value`);
        if (ch === '"') break;
        if (ch === '\\') {
          const next = text[j + 1];
          if (next === 'n') value += '\n';
          else if (next === '\\' || next === '"') value += next;
          else throw new Error(`line ${line}: bad escape in label value`);
          j += 2;
        } else {
          value += ch;
          j++;
        }
      }
      labels[key] = value;
      i = j + 1;
      if (text[i] === ',') i++;
      else if (text[i] !== '}') throw new Error(`line ${line}: expected , or } after a label`);
    }
    i++;
  }
  const rest = text.slice(i);
  const parts = rest.trim().split(/\s+/);
  if (!/^\s/.test(rest) || parts.length < 1 || parts.length > 2)
    throw new Error(`line ${line}: expected "value [timestamp]"`);
  if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1]))
    throw new Error(`line ${line}: bad timestamp`);
  return { name, labels, value: parseValue(parts[0] as string, line) };
}

function familyOf(sample: string, families: Map<string, Family>): Family | undefined {
  for (const [name, f] of families) {
    for (const suffix of SUFFIXES[f.type] ?? ['']) if (sample === `${name}${suffix}`) return f;
  }
  return undefined;
}

export function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const families = new Map<string, Family>();
  const closed = new Set<string>();
  const seriesSeen = new Set<string>();
  let current: Family | undefined;
  const open = (name: string, line: number): Family => {
    if (!NAME.test(name)) throw new Error(`line ${line}: bad metric name "${name}"`);
    if (closed.has(name)) throw new Error(`line ${line}: family ${name} appears twice`);
    if (current && current.name !== name) closed.add(current.name);
    let f = families.get(name);
    if (!f) {
      f = { name, type: 'untyped', help: undefined, samples: [] };
      families.set(name, f);
    }
    current = f;
    return f;
  };
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    if (raw.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(raw);
      if (!m) return; // a comment (OpenTelemetry writes `# UNIT`)
      const [, kind, name, rest = ''] = m as unknown as [string, string, string, string?];
      const f = open(name, line);
      if (kind === 'HELP') {
        if (f.help !== undefined) throw new Error(`line ${line}: second HELP for ${name}`);
        f.help = rest;
      } else {
        if (f.samples.length > 0 || (f as { typed?: boolean }).typed)
          throw new Error(`line ${line}: TYPE for ${name} twice or after its samples`);
        if (!TYPES.has(rest)) throw new Error(`line ${line}: unknown type "${rest}"`);
        f.type = rest as Family['type'];
        (f as { typed?: boolean }).typed = true;
      }
      return;
    }
    const s = parseSample(raw, line);
    const f = current && familyOf(s.name, new Map([[current.name, current]]));
    if (!f) {
      if (familyOf(s.name, families))
        throw new Error(`line ${line}: sample ${s.name} outside its family`);
      open(s.name, line).samples.push(s); // untyped, no metadata
    } else f.samples.push(s);
    const id = `${s.name}${JSON.stringify(Object.entries(s.labels).sort())}`;
    if (seriesSeen.has(id)) throw new Error(`line ${line}: series ${s.name} twice`);
    seriesSeen.add(id);
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

function checkHistogram(f: Family): void {
  const groups = new Map<string, { buckets: Array<[number, number]>; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const g = groups.get(key) ?? { buckets: [] };
    groups.set(key, g);
    if (s.name === `${f.name}_bucket`) {
      if (le === undefined) throw new Error(`${f.name}: a bucket without le`);
      g.buckets.push([parseValue(le, 0), s.value]);
    } else if (s.name === `${f.name}_count`) g.count = s.value;
  }
  for (const g of groups.values()) {
    g.buckets.sort((a, b) => a[0] - b[0]);
    const inf = g.buckets.at(-1);
    if (!inf || inf[0] !== Number.POSITIVE_INFINITY) throw new Error(`${f.name}: no +Inf bucket`);
    if (inf[1] !== g.count) throw new Error(`${f.name}: +Inf bucket differs from _count`);
    for (let i = 1; i < g.buckets.length; i++) {
      if ((g.buckets[i]?.[1] ?? 0) < (g.buckets[i - 1]?.[1] ?? 0))
        throw new Error(`${f.name}: buckets not cumulative`);
    }
  }
}
