// Issue #23 fuzzing of the Idempotency-Key middleware over HTTP (supertest), shared by the memory
// store run (test/unit/fuzz.test.ts) and the real Redis run (test/integration/fuzz.redis.test.ts).
// Every generated request is sent twice with the same key. Properties, for every answer:
//   - never a 5xx, except the documented 503 (problem type STORE_UNAVAILABLE, Retry-After) when
//     the store does not answer in time;
//   - an answer before the deadline (never a hang);
//   - nothing from the request reflected: the key and every body or query value carry a marker,
//     and no response body or header contains it;
//   - a problem+json answer is well formed (type, title, status equal to the HTTP status);
//   - a repeat of a request whose first answer was stored gets the byte-identical body, the same
//     status and `Idempotent-Replayed: true`; the handler ran once for the pair.
import express from 'express';
import fc from 'fast-check';
import request from 'supertest';
import { type IdempotencyOptions, idempotency, PROBLEM_TYPES } from '../../src';

export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? process.env.RESIL_FC_MAX_RUNS ?? 150);
const KEY_MARK = 'KQZX';
const BODY_MARK = 'BQZX';
const DEADLINE_MS = 10_000;

/** The app as the README says: body parsers first, then the middleware, then the routes. */
export function fuzzApp(options: IdempotencyOptions) {
  const runs = new Map<string, number>();
  const app = express();
  app.use(express.json());
  app.use(express.urlencoded({ extended: false }));
  app.use(express.text());
  app.use(express.raw({ type: 'application/octet-stream' }));
  const mw = idempotency({ logger: false, scope: (req) => req.get('X-Case'), ...options });
  app.use(mw);
  app.all('/h', (req, res) => {
    const id = req.get('X-Case') ?? '';
    const n = (runs.get(id) ?? 0) + 1;
    runs.set(id, n);
    res.setHeader('X-Runs', String(n));
    res.status(201).json({ runs: n, type: typeof req.body }); // never echoes the input
  });
  // Parser errors (invalid JSON, too large) answered without echoing anything from the request.
  app.use(
    (err: { status?: number }, _req: express.Request, res: express.Response, _next: unknown) => {
      const status = typeof err.status === 'number' ? err.status : 500;
      res.status(status).type('application/problem+json').send(JSON.stringify({ status }));
    },
  );
  return { app, runs, close: () => mw.close() };
}

const marked = (s: string) => `${BODY_MARK}${s}`;

/** Idempotency-Key values, valid and hostile; every one that can carry the marker does. */
const keyArb = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', minLength: 0, maxLength: 20 }).map((s) => `${KEY_MARK}${s}`),
  fc.constant(''),
  fc.constant('   '),
  fc.integer({ min: 251, max: 600 }).map((n) => `${KEY_MARK}${'k'.repeat(n)}`),
  fc.constant(`${KEY_MARK}${'k'.repeat(251)}`), // exactly 255
  fc.constant(`${KEY_MARK}\tx`),
  fc.constant(`${KEY_MARK} x`),
  fc.constant(`"${KEY_MARK}\\"q\\\\"`),
  fc.constant(`"${KEY_MARK}`),
  fc.constant(`${KEY_MARK}caf\u00e9`), // obs-text (latin-1), what HTTP lets through
  fc.constant(`"${KEY_MARK}\u00ff"`),
  fc.constant(`${KEY_MARK},${KEY_MARK}2`),
  fc.tuple(fc.constant(KEY_MARK), fc.constant(`${KEY_MARK}b`)), // the header twice
);

const leafArb = fc.oneof(
  fc.string({ maxLength: 20 }).map(marked),
  fc.string({ unit: 'binary', maxLength: 20 }).map(marked),
  fc.integer({ min: 1000, max: 60_000 }).map((n) => marked('x'.repeat(n))),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
);
const hostileKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', '$where', '$ne', 'a.b', '', '\u0000'),
  fc.string({ maxLength: 8 }),
);
const jsonArb = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    leafArb,
    fc.array(tie('node'), { maxLength: 4 }),
    fc.dictionary(hostileKey, tie('node'), { maxKeys: 4 }),
  ),
})).node;

interface BodyCase {
  type?: string;
  text?: string;
}
/** Bodies: JSON (random, deep, invalid, over the parser's limit), forms, text, raw, unknown types. */
const bodyArb: fc.Arbitrary<BodyCase> = fc.oneof(
  fc.constant({}),
  jsonArb.map((v) => ({ type: 'application/json', text: JSON.stringify(v) ?? 'null' })),
  fc.integer({ min: 1, max: 20_000 }).map((d) => ({
    type: 'application/json',
    text: `${'['.repeat(d)}"${marked('')}"${']'.repeat(d)}`,
  })),
  fc.integer({ min: 1, max: 20_000 }).map((d) => ({
    type: 'application/json',
    text: `${'{"__proto__":'.repeat(d)}1${'}'.repeat(d)}`,
  })),
  fc.string({ maxLength: 30 }).map((s) => ({ type: 'application/json', text: `{"${marked(s)}` })),
  fc.constant({ type: 'application/json', text: `"${marked('y'.repeat(200_000))}"` }),
  fc.dictionary(hostileKey, fc.string({ maxLength: 10 }).map(marked), { maxKeys: 5 }).map((o) => ({
    type: 'application/x-www-form-urlencoded',
    text: new URLSearchParams(o).toString(),
  })),
  fc.string({ maxLength: 50 }).map((s) => ({ type: 'text/plain', text: marked(s) })),
  fc.string({ maxLength: 50 }).map((s) => ({ type: 'application/octet-stream', text: marked(s) })),
  fc
    .constantFrom(
      'application/x-unknown',
      'application/json; charset=latin1',
      'multipart/form-data',
    )
    .map((type) => ({ type, text: marked('z') })),
);

const queryArb = fc.oneof(
  fc.constant(''),
  fc
    .array(fc.tuple(hostileKey, fc.string({ maxLength: 10 }).map(marked)), { maxLength: 6 })
    .map((pairs) => `?${new URLSearchParams(pairs).toString()}`),
  fc.integer({ min: 1, max: 2000 }).map((n) => `?${`${BODY_MARK}=1&`.repeat(n)}`),
  fc.constant(`?${BODY_MARK}%ZZ=%`),
);

const caseArb = fc.record({
  method: fc.constantFrom('POST', 'POST', 'PATCH', 'PUT', 'DELETE', 'GET'),
  key: fc.option(keyArb, { nil: undefined }),
  body: bodyArb,
  query: queryArb,
});

type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

let seq = 0;

async function send(app: express.Express, c: Case, id: string) {
  const m = c.method.toLowerCase() as 'post' | 'patch' | 'put' | 'delete' | 'get';
  let r = request(app)[m](`/h${c.query}`).set('X-Case', id);
  if (c.key !== undefined) r = r.set('Idempotency-Key', c.key as string);
  if (c.body.type !== undefined) r = r.set('Content-Type', c.body.type);
  if (c.body.text !== undefined && c.method !== 'GET') r = r.send(c.body.text);
  return r.timeout({ deadline: DEADLINE_MS }).ok(() => true);
}

function checkAnswer(r: request.Response, problems: string[]): void {
  const where = `${r.status}`;
  const texts = [r.text ?? '', ...Object.values(r.headers).flat().map(String)];
  for (const t of texts) {
    if (t.includes(KEY_MARK)) problems.push(`${where}: the key is reflected`);
    if (t.includes(BODY_MARK)) problems.push(`${where}: request content is reflected`);
  }
  if (r.status >= 500) {
    const body = r.headers['content-type']?.startsWith('application/problem+json')
      ? JSON.parse(r.text)
      : {};
    if (
      !(
        r.status === 503 &&
        body.type === PROBLEM_TYPES.STORE_UNAVAILABLE &&
        r.headers['retry-after'] === '1'
      )
    )
      problems.push(`${where}: a 5xx`);
  }
  if (r.headers['content-type']?.startsWith('application/problem+json')) {
    const p = JSON.parse(r.text);
    if (p.status !== r.status) problems.push(`${where}: problem status differs`);
    if (p.type !== undefined && !Object.values(PROBLEM_TYPES).includes(p.type))
      problems.push(`${where}: unknown problem type`);
  }
}

/** Registers the fuzzing property test for one app (memory store or Redis). */
export function fuzzProperty(
  make: () => ReturnType<typeof fuzzApp>,
  numRuns = FUZZ_RUNS,
): () => Promise<void> {
  return async () => {
    const fixture = make();
    let replays = 0;
    try {
      await fc.assert(
        fc.asyncProperty(caseArb, async (c) => {
          const id = `case-${process.pid}-${++seq}`;
          const problems: string[] = [];
          const first = await send(fixture.app, c, id);
          const second = await send(fixture.app, c, id);
          checkAnswer(first, problems);
          checkAnswer(second, problems);
          const guarded = c.method === 'POST' || c.method === 'PATCH';
          if (guarded && first.status === 201 && first.headers['x-runs'] === '1') {
            // stored: the repeat is the replay, byte for byte
            if (second.status !== 201) problems.push(`repeat answered ${second.status}`);
            if (second.text !== first.text) problems.push('replay body differs');
            if (second.headers['idempotent-replayed'] !== 'true') problems.push('not replayed');
            if (fixture.runs.get(id) !== 1) problems.push('handler ran twice');
            replays++;
          }
          if (problems.length > 0) throw new Error(problems.join('; '));
        }),
        {
          numRuns,
          // one plain request first: the replay property is exercised at any numRuns
          examples: [
            [
              {
                method: 'POST',
                key: `${KEY_MARK}plain`,
                body: { type: 'application/json', text: '{"a":1}' },
                query: '',
              },
            ],
          ],
        },
      );
      expect(replays).toBeGreaterThan(0); // the replay property was exercised, not vacuous
    } finally {
      await fixture.close();
    }
  };
}

/** Fixed hostile cases run before the random ones (each one a shape the fuzzer found or should). */
export function hostileCases(): Case[] {
  return [
    {
      method: 'POST',
      key: `${KEY_MARK}a`,
      body: { type: 'application/json', text: `${'['.repeat(5000)}${']'.repeat(5000)}` },
      query: '',
    },
    {
      method: 'POST',
      key: `${KEY_MARK}b`,
      body: { type: 'application/json', text: '{"__proto__":{"polluted":1}}' },
      query: '?__proto__[x]=1',
    },
    { method: 'PATCH', key: [KEY_MARK, KEY_MARK] as unknown as string, body: {}, query: '' },
    { method: 'POST', key: `${KEY_MARK}${'k'.repeat(300)}`, body: {}, query: '' },
    { method: 'POST', key: '', body: {}, query: '' },
    {
      method: 'POST',
      key: `${KEY_MARK}c`,
      body: { type: 'application/x-unknown', text: 'x' },
      query: '',
    },
  ];
}

export async function runHostile(make: () => ReturnType<typeof fuzzApp>): Promise<void> {
  const fixture = make();
  try {
    for (const c of hostileCases()) {
      const id = `hostile-${process.pid}-${++seq}`;
      const problems: string[] = [];
      const first = await send(fixture.app, c, id);
      const second = await send(fixture.app, c, id);
      checkAnswer(first, problems);
      checkAnswer(second, problems);
      if (first.status === 201 && second.text !== first.text) problems.push('replay body differs');
      expect(problems).toEqual([]);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  } finally {
    await fixture.close();
  }
}
