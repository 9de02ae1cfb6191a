/**
 * Builds src/data/names.txt: given names and surnames in cased scripts (Latin, Cyrillic, Greek),
 * from the locale data of @faker-js/faker (public data, many cultures), lower-cased, without the
 * ordinary English words of faker's word lists (so "Will", "Grace" or "Hall" alone are not names
 * by the dictionary; after a label they still are), without the locales the evaluation keeps
 * apart (eval/corpus.ts HELD_OUT_LOCALES).
 *
 *   npx tsx packages/safe-log/scripts/build-names.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { allLocales } from '@faker-js/faker';
import { HELD_OUT_LOCALES } from '../eval/corpus';

type Tree = unknown;
function strings(v: Tree, out: string[]): void {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (v && typeof v === 'object' && !('value' in v))
    for (const x of Object.values(v)) strings(x, out);
}

const CASED = /^[\p{Script=Latin}\p{Script=Cyrillic}\p{Script=Greek}'’-]+$/u;
const given = new Set<string>();
const family = new Set<string>();
const words = new Set<string>();
for (const [, def] of Object.entries(allLocales)) {
  const w = (def as { word?: Record<string, string[]> }).word;
  if (w) for (const list of Object.values(w)) for (const x of list) words.add(x.toLowerCase());
}
// Words that start sentences and label things in logs, and facility words: never names alone.
for (const x of [
  'patient',
  'doctor',
  'nurse',
  'hospital',
  'clinic',
  'center',
  'centre',
  'medical',
  'general',
  'memorial',
  'health',
  'care',
  'saint',
  'mount',
  'university',
  'children',
  'royal',
  'county',
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
  'error',
  'warning',
  'info',
  'debug',
  'request',
  'response',
  'service',
  'server',
  'client',
  'update',
  'updated',
  'created',
  'deleted',
  'failed',
  'retry',
  'timeout',
  'emergency',
  'intake',
  'discharge',
  'summary',
  'billing',
  'pharmacy',
  'radiology',
  'unit',
  'department',
  'ward',
  'room',
  'bed',
  'north',
  'south',
  'east',
  'west',
  'new',
  'san',
  'santa',
  'los',
  'las',
  'el',
  'la',
  'le',
  'de',
  'del',
  'van',
  'von',
  'der',
  'den',
  'da',
  'di',
  'do',
  'dos',
  'das',
  'du',
  'al',
  'bin',
  'ibn',
  'st',
  'mr',
  'mrs',
  'ms',
  'dr',
  'md',
  'rn',
  'id',
])
  words.add(x);

for (const [locale, def] of Object.entries(allLocales)) {
  if (HELD_OUT_LOCALES.has(locale)) continue;
  const p = (def as { person?: { first_name?: Tree; last_name?: Tree } }).person;
  if (!p) continue;
  for (const [tree, set] of [
    [p.first_name, given],
    [p.last_name, family],
  ] as const) {
    const list: string[] = [];
    strings(tree, list);
    for (const full of list)
      for (const part of full.split(/\s+/)) {
        const n = part.toLowerCase();
        if (n.length >= 2 && CASED.test(part) && !words.has(n)) set.add(n);
      }
  }
}
// Names faker's locale data lacks (scripts/names-extra.txt: a comment line, given names, surnames),
// under the same filters.
{
  const [, extraGiven = '', extraFamily = ''] = readFileSync(
    path.join(import.meta.dirname, 'names-extra.txt'),
    'utf8',
  ).split('\n');
  const heldOut = new Set<string>();
  for (const locale of HELD_OUT_LOCALES) {
    const person = (allLocales as Record<string, { person?: Record<string, Tree> }>)[locale]
      ?.person;
    if (!person) continue;
    const list: string[] = [];
    strings(person.first_name, list);
    strings(person.last_name, list);
    for (const n of list) for (const part of n.split(/\s+/)) heldOut.add(part.toLowerCase());
  }
  for (const [line, into] of [
    [extraGiven, given],
    [extraFamily, family],
  ] as const)
    for (const n of line.split(' '))
      if (n.length >= 2 && !words.has(n) && !heldOut.has(n)) into.add(n);
}
// Place names (cities, states, countries of every locale): a single capitalised word that is also
// a place ("Houston", "Florence", "Jackson") is not taken for a given name without other evidence.
const places = new Set<string>();
for (const [, def] of Object.entries(allLocales)) {
  const loc = (def as { location?: Record<string, Tree> }).location;
  if (!loc) continue;
  const list: string[] = [];
  for (const k of ['city_name', 'state', 'country', 'county']) strings(loc[k], list);
  for (const full of list)
    for (const part of full.split(/[\s-]+/)) {
      const n = part.toLowerCase();
      if (n.length >= 3 && CASED.test(part) && given.has(n)) places.add(n);
    }
}
for (const x of [
  'houston',
  'austin',
  'dallas',
  'paris',
  'florence',
  'sydney',
  'adelaide',
  'phoenix',
  'jackson',
  'madison',
  'charlotte',
  'savannah',
  'lincoln',
  'cleveland',
  'victoria',
  'georgia',
  'virginia',
  'carolina',
  'india',
  'jordan',
  'chelsea',
  'kent',
  'orlando',
  'denver',
  'aurora',
  'regina',
  'elizabeth',
  'augusta',
  'helena',
  'raleigh',
  'tyler',
  'marion',
  'clinton',
  'warren',
  'troy',
])
  places.add(x);
const sorted = (s: Set<string>) => [...s].sort().join(' ');
// Three lines, each lower-case words separated by spaces: given names, surnames, and the given
// names that are also places (not a name when they stand alone). Read once by src/internal/names.ts.
const out = `${sorted(given)}\n${sorted(family)}\n${sorted(places)}\n`;
writeFileSync(path.join(import.meta.dirname, '..', 'src', 'data', 'names.txt'), out);
console.log(`given ${given.size}, surnames ${family.size}, ${out.length} bytes`);
