/**
 * Writes what the redaction produces on the evaluation corpus (every record logged through a
 * SafeLogger, timestamp removed) and on fuzzed strings and objects, one line each, so two versions
 * of the code can be compared byte for byte:
 *
 *   npx tsx --conditions=@resil/source bench/snapshot.ts > /tmp/before.txt
 *   (change the code)
 *   npx tsx --conditions=@resil/source bench/snapshot.ts > /tmp/after.txt && cmp /tmp/before.txt /tmp/after.txt
 *
 * Options: --strings=N fuzzed strings (default 200000).
 */
import { Writable } from 'node:stream';
import winston from 'winston';
import { buildCorpus } from '../eval/corpus';
import type * as SafeLog from '../src';

// SL_SRC=<dir>: another copy of src (e.g. the previous commit's, from `git archive`), to compare.
const { createRedactor, SafeLogger } = require(process.env.SL_SRC ?? '../src') as typeof SafeLog;
const N = Number(process.argv.find((a) => a.startsWith('--strings='))?.split('=')[1] ?? 200_000);
const lines: string[] = [];
const out = (s: string) => {
  lines.push(s);
  if (lines.length >= 5000) flush();
};
const flush = () => {
  process.stdout.write(`${lines.join('\n')}\n`);
  lines.length = 0;
};

// 1. The corpus, through a logger, as the scorer writes it.
const captured: string[] = [];
const logger = new SafeLogger('eval', {
  transports: [
    new winston.transports.Stream({
      stream: new Writable({
        write(chunk, _enc, cb) {
          captured.push(String(chunk));
          cb();
        },
      }),
    }),
  ],
});
for (const s of buildCorpus()) {
  (logger[s.level] as (m: unknown, meta?: unknown) => void).call(logger, s.message, s.meta);
}
for (const line of captured) out(line.replace(/"timestamp":"[^"]*"/, '"timestamp":"T"'));

// 2. Fuzzed strings and objects (seeded), through the default redactor and two with options.
let seed = 0x9e3779b9;
const rand = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
const TOKENS = [
  'Patient',
  'patient',
  'pt',
  'Mr.',
  'Mrs',
  'Dr.',
  'Dear',
  'spoke with',
  'Name:',
  'name=',
  'MRN',
  'mrn:',
  'ssn',
  'SSN:',
  'dob',
  'DOB:',
  'born',
  'Member ID',
  'policy #',
  'account',
  'acct',
  'VIN',
  'plate',
  'serial',
  'S/N',
  'device',
  'fingerprint',
  'phone',
  'tel:',
  'fax',
  'lives at',
  'address:',
  'Ana',
  'Garcia',
  'John',
  'SMITH',
  'JOHN',
  'Maria',
  'van der',
  'Li',
  'Wei',
  'Żebrowski',
  'St. Mary',
  'General',
  'Hospital',
  'Mount Sinai',
  'Houston',
  'TX',
  '77006',
  '77006-1234',
  '123-45-6789',
  '123 45 6789',
  '1984-03-12',
  '2024-01-02T10:00:00Z',
  'March 12, 1984',
  '12 Mar 1984',
  '03.12.1984',
  '03/12/84',
  '92-year-old',
  'age 94',
  '+1 713 555 0199',
  '(713) 555-0199',
  '4111 1111 1111 1111',
  '4111111111111111',
  '10.0.0.1',
  '999.1.1.1',
  'fe80::1',
  '00:1a:2b:3c:4d:5e',
  '1HGCM82633A004352',
  'ana@example.org',
  'https://x.org/patients/12345?dob=1984&x=1',
  'Patient/P-881',
  'photo_123.jpg',
  'scan.DCM',
  'MSH|^~\\&|A|B',
  'PID|1||123^^^H||DOE^JANE||19800101|F',
  'Key (ssn)=(123-45-6789) already exists',
  "Duplicate entry 'a@b.org' for key 'email'",
  'dup key: { email: "a@b.org" }',
  "insert into t values ('Ana', '123')",
  '{"ssn":"123-45-6789"}',
  '{"resourceType":"Patient","name":[{"family":"Doe"}]}',
  '[',
  ']',
  '{',
  '}',
  '"',
  "'",
  ':',
  '=',
  '&',
  '?',
  '/',
  '#',
  '|',
  '.',
  ',',
  ';',
  '-',
  ' ',
  ' ',
  ' ',
  '  ',
  '\n',
  '\r',
  '\t',
  'v1.2.3',
  'ICD-10 E11.9',
  'CPT 99213',
  '$120.50',
  '12 ms',
  'uuid 3f2a9c1e-7b4d-4e2a-9c1e-7b4d4e2a9c1e',
  '1200 Westheimer Rd',
  '42 Rue de la Paix',
  'Hauptstraße 5',
  'x',
  'ok',
  'retry',
  'Error',
  '\ue000',
  '\ue105\ue001',
  'PHI:',
  '\u2028',
  '\u007f',
  '\u001b',
  '\t',
  '\u0000',
  '\u0085',
  'é',
  '李',
  'ß',
  'İ',
  '0',
  '7',
  '42',
  '2024',
  'A1',
  'Zz',
];
const rs = [
  createRedactor(),
  createRedactor({ censor: 'last4', allow: ['Houston', /^10\./], keys: ['secretish'] }),
  createRedactor({
    censor: { hmacKey: 'k' },
    patterns: [{ name: 'ticket', source: 'tkt-\\d{3,8}', needs: 't' }],
    maxDepth: 3,
  }),
];
const fuzzString = () => {
  let s = '';
  const n = 1 + Math.floor(rand() * 14);
  for (let i = 0; i < n; i++) s += pick(TOKENS) + (rand() < 0.6 ? ' ' : '');
  return s;
};
for (let i = 0; i < N; i++) {
  const s = fuzzString();
  const r = rs[i % 3] as (typeof rs)[number];
  out(JSON.stringify(r.string(s)));
}
const KEYS = [
  'ssn',
  'name',
  'patient',
  'note',
  'user',
  'id',
  'url',
  'tags',
  'resourceType',
  'email',
  'x',
  '__proto__',
  'dob',
];
const fuzzValue = (depth: number): unknown => {
  const k = rand();
  if (depth > 3 || k < 0.45) return fuzzString();
  if (k < 0.55) return Math.floor(rand() * 1000);
  if (k < 0.6) return rand() < 0.5 ? null : true;
  if (k < 0.8) return Array.from({ length: Math.floor(rand() * 4) }, () => fuzzValue(depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(rand() * 5); i > 0; i--) {
    const key = rand() < 0.8 ? pick(KEYS) : fuzzString();
    if (key === '__proto__')
      Object.defineProperty(o, key, {
        value: fuzzValue(depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else o[key] = key === 'resourceType' ? pick(['Patient', 'Observation']) : fuzzValue(depth + 1);
  }
  return o;
};
for (let i = 0; i < N / 10; i++) {
  const v = fuzzValue(0);
  const shared = { inner: v };
  const r = rs[i % 3] as (typeof rs)[number];
  out(JSON.stringify(r.value({ a: v, b: shared, c: [v, shared] })));
}
flush();
