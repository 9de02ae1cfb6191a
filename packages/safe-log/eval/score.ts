/**
 * Scores @resil/safe-log on the evaluation corpus (eval/corpus.ts): every record is written
 * through a SafeLogger exactly as a user would, the output line is parsed, and each labelled
 * identifier must be absent from it (recall) and each labelled keep-string present (keep-rate).
 *
 *   npm run eval -w @resil/safe-log            the tables
 *   npm run eval -w @resil/safe-log -- --misses=name    also print up to 20 misses of a kind
 */
import { Writable } from 'node:stream';
import winston from 'winston';
import { SafeLogger } from '../src';
import { buildCorpus, HELD_OUT_LOCALES, type Label, type Sample } from './corpus';

export interface Tally {
  hit: number;
  total: number;
}
export interface Scores {
  records: number;
  recall: Tally;
  names: Tally;
  namesHeldOut: Tally;
  keep: Tally;
  recallByKind: Map<string, Tally>;
  recallByShape: Map<string, Tally>;
  keepByKind: Map<string, Tally>;
  misses: Array<{ sample: Sample; label: Label; output: string; kept: boolean }>;
}

function strings(value: unknown, out: string[]): void {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      strings(v, out);
    }
  else if (value !== undefined && value !== null) out.push(String(value));
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** True when the identifier is still readable in the output. */
function present(label: Label, text: string): boolean {
  if (label.kind === 'name') {
    return new RegExp(`(?<![\\p{L}\\p{N}])${escapeRe(label.text)}(?![\\p{L}\\p{N}])`, 'u').test(
      text,
    );
  }
  return text.includes(label.text);
}

function add(map: Map<string, Tally>, key: string, hit: boolean): void {
  let t = map.get(key);
  if (!t) {
    t = { hit: 0, total: 0 };
    map.set(key, t);
  }
  t.total++;
  if (hit) t.hit++;
}

export function score(
  samples: Sample[] = buildCorpus(),
  logger?: (t: winston.transport) => SafeLogger,
): Scores {
  let line = '';
  const stream = new Writable({
    write(chunk, _e, cb) {
      line += String(chunk);
      cb();
    },
  });
  const transport = new winston.transports.Stream({ stream });
  const log = logger ? logger(transport) : new SafeLogger('eval', { transports: [transport] });
  const s: Scores = {
    records: samples.length,
    recall: { hit: 0, total: 0 },
    names: { hit: 0, total: 0 },
    namesHeldOut: { hit: 0, total: 0 },
    keep: { hit: 0, total: 0 },
    recallByKind: new Map(),
    recallByShape: new Map(),
    keepByKind: new Map(),
    misses: [],
  };
  for (const sample of samples) {
    line = '';
    log[sample.level](sample.message as string, sample.meta);
    const parts: string[] = [];
    for (const l of line.split('\n')) if (l.trim()) strings(JSON.parse(l), parts);
    const text = parts.join('\n');
    for (const label of sample.ids) {
      const removed = !present(label, text);
      s.recall.total++;
      if (removed) s.recall.hit++;
      add(s.recallByKind, label.kind, removed);
      add(s.recallByShape, sample.shape, removed);
      if (label.kind === 'name') {
        const t = HELD_OUT_LOCALES.has(sample.locale) ? s.namesHeldOut : s.names;
        t.total++;
        if (removed) t.hit++;
      }
      if (!removed) s.misses.push({ sample, label, output: text, kept: false });
    }
    for (const label of sample.keep) {
      const kept = text.includes(label.text);
      s.keep.total++;
      if (kept) s.keep.hit++;
      add(s.keepByKind, label.kind, kept);
      if (!kept) s.misses.push({ sample, label, output: text, kept: true });
    }
  }
  return s;
}

function pct(t: Tally): string {
  return t.total === 0 ? '–' : `${((100 * t.hit) / t.total).toFixed(1)} %`;
}

export function table(s: Scores): string {
  const rows: string[] = [];
  const allNames: Tally = {
    hit: s.names.hit + s.namesHeldOut.hit,
    total: s.names.total + s.namesHeldOut.total,
  };
  rows.push(
    `Corpus: ${s.records} records, ${s.recall.total} identifiers, ${s.keep.total} strings to keep`,
  );
  rows.push('');
  rows.push('| measure | value |', '|---|---:|');
  rows.push(`| identifiers removed (recall) | ${pct(s.recall)} |`);
  rows.push(`| person names | ${pct(allNames)} |`);
  rows.push(`| person names, locales in the dictionary | ${pct(s.names)} (${s.names.total}) |`);
  rows.push(
    `| person names, held-out locales | ${pct(s.namesHeldOut)} (${s.namesHeldOut.total}) |`,
  );
  rows.push(`| strings kept | ${pct(s.keep)} |`);
  rows.push('', '| identifier kind | recall | n |', '|---|---:|---:|');
  for (const [k, t] of [...s.recallByKind].sort()) rows.push(`| ${k} | ${pct(t)} | ${t.total} |`);
  rows.push('', '| record shape | recall | n |', '|---|---:|---:|');
  for (const [k, t] of [...s.recallByShape].sort()) rows.push(`| ${k} | ${pct(t)} | ${t.total} |`);
  rows.push('', '| kept kind | keep-rate | n |', '|---|---:|---:|');
  for (const [k, t] of [...s.keepByKind].sort()) rows.push(`| ${k} | ${pct(t)} | ${t.total} |`);
  return rows.join('\n');
}

if (require.main === module) {
  const s = score();
  console.log(table(s));
  const want = process.argv.find((a) => a.startsWith('--misses='))?.slice('--misses='.length);
  if (want) {
    const list = s.misses
      .filter((m) => m.label.kind === want || m.sample.shape === want)
      .slice(0, 25);
    for (const m of list)
      console.log(
        `\n--- #${m.sample.id} ${m.sample.shape} ${m.kept ? 'LOST' : 'LEAK'} ${m.label.kind}: ${m.label.text}\n${m.output.slice(0, 1500)}`,
      );
  }
}
