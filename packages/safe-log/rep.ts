import { allLocales } from '@faker-js/faker';
import { NAME_LOCALES } from './eval/corpus';
import { redact } from './src';
function wordIn(word: string, text: string): boolean {
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, 'u').test(text);
}
const fails = new Map<string, string>();
const LABELS = ['Patient','Patient:','pt','Mr.','Mrs','Dr.','Dear','Name:','spoke with','signed by','seen by','family member','Emergency contact:','daughter'];
const AFTER = [' admitted', ', re: discharge', ' (callback requested)', '.', ' called twice', ''];
let n = 0;
for (const loc of NAME_LOCALES) {
  const p: any = (allLocales as any)[loc]?.person ?? {};
  const flat = (x: any): string[] => !x ? [] : Array.isArray(x) ? x.flatMap(flat) : typeof x === 'object' ? Object.values(x).flatMap(flat) : typeof x === 'string' ? [x] : [];
  const lasts = flat(p.last_name).filter(s => !s.includes('{{'));
  const firsts = flat(p.first_name).filter(s => !s.includes('{{'));
  for (const fam of lasts) for (const label of LABELS) for (const after of AFTER) {
    n++;
    const out = redact(`${label} ${fam}${after}`);
    for (const part of fam.split(/\s+/)) if (part.length >= 2 && !/^\p{Ll}/u.test(part) && wordIn(part, out)) fails.set(`${loc}:${fam}`, `${label} ${fam}${after} -> ${out}`);
  }
  for (const g of firsts) { const fam = lasts[0] ?? 'Smith'; for (const label of LABELS) { n++;
    const out = redact(`${label} ${g} ${fam} admitted`);
    for (const part of `${g} ${fam}`.split(/\s+/)) if (part.length >= 2 && !/^\p{Ll}/u.test(part) && wordIn(part, out)) fails.set(`${loc}:${g}`, `${label} ${g} ${fam} admitted -> ${out}`);
  }}
}
console.log(n, fails.size);
for (const [k, v] of [...fails].slice(0, 80)) console.log(k, '|', v);
