import fc from 'fast-check';
import request from 'supertest';
import type { HandlerInput } from '../../src/app';
import { ADMIN, ALICE, auth, BOB, type Harness, startHarness } from '../helpers';

/**
 * Property-based fuzzing of the whole HTTP surface (supertest against the exported app, memory
 * stores, the mock registry in-process with no faults injected). Random and hostile methods,
 * paths, params, queries, headers (API keys, Idempotency-Key, content types) and bodies (odd and
 * huge JSON, operator and prototype keys, markup, invisible characters, bytes that are not JSON).
 *
 * Properties, for every request:
 *  - never a 5xx (the registry's documented 502/503/504 need injected faults, which are off);
 *  - never a hang: each request must be answered within RESPONSE_MS;
 *  - never a reflected value: a marker placed in the input (anywhere but the hospital's own
 *    name and address, which a 201 or a GET rightly returns) appears in no response body or header;
 *  - never an operator key (`$...`, dotted), a prototype key or a non-plain object in what a
 *    /hospitals handler receives, and Object.prototype stays clean.
 *
 * FUZZ_RUNS (default 250) and FUZZ_SEED replay or lengthen a run; a failure prints its seed and
 * the shrunk request.
 */

const RUNS = Number(process.env.FUZZ_RUNS ?? 250);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const RESPONSE_MS = 5_000;

/** A marker: letters outside the hex range, so no id, uuid or digest can contain it by chance. */
const marker = fc.stringMatching(/^[g-z]{10}$/).map((s) => `mk${s}`);

const ascii = (max: number) => fc.stringMatching(new RegExp(`^[\\x20-\\x7e]{0,${max}}$`));
const hostileText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '<script>alert(1)</script>',
    '<-</>',
    '<<b>b>',
    '\u200b\u202e',
    '\ufeff',
    '\u0301',
    '"><img src=x onerror=alert(1)>',
    "O'Brien",
    'José 李',
    '\r\n{"level":"error"}',
    '\ud800',
    'x'.repeat(5_000),
  ),
);
const hostileKey = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    '$where',
    '$ne',
    '$gt',
    'a.b',
    '<x>$ne',
    '__<b>proto__',
    'constr<i>uctor',
    'name',
    'address',
    'contactEmail',
  ),
  fc.string({ maxLength: 12 }),
);

/** A JSON value whose keys and strings may carry the marker. */
const jsonWith = (m: string) =>
  fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.oneof(fc.constant(m), hostileText, fc.double(), fc.boolean(), fc.constant(null)),
      fc.array(tie('value'), { maxLength: 5 }),
      fc.dictionary(fc.oneof(hostileKey, fc.constant(m), fc.constant(`$${m}`)), tie('value'), {
        maxKeys: 5,
      }),
    ),
  })).value;

/** A body that passes validation often enough to reach the handlers and the registry. */
const hospitalBody = (m: string) =>
  fc.record(
    {
      name: fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom("St Mary's", 'General', 'بیمارستان\u200cها') },
        hostileText,
        fc.constant({ $gt: '' }),
      ),
      address: fc.oneof({ weight: 4, arbitrary: fc.constant('1 Main Street') }, hostileText),
      contactEmail: fc.oneof(
        { weight: 3, arbitrary: fc.constant('desk@example.org') },
        fc.constant(m),
      ),
      contactPhone: fc.oneof({ weight: 3, arbitrary: fc.constant('+1 555 0100') }, fc.constant(m)),
      extra: jsonWith(m),
    },
    { requiredKeys: ['name', 'address'] },
  );

const bodyOf = (m: string) =>
  fc.oneof(
    fc.constant(undefined),
    { weight: 10, arbitrary: hospitalBody(m).map((b) => ({ raw: JSON.stringify(b) })) },
    hospitalBody(m).map((b) => ({
      // Keys JSON.stringify would not write as given: spliced in as raw text.
      raw: JSON.stringify(b).replace(/^\{/, `{"__proto__":{"polluted":"${m}"},"$${m}":1,`),
    })),
    jsonWith(m).map((v) => ({ raw: JSON.stringify(v) ?? 'null' })),
    fc.uint8Array({ maxLength: 256 }).map((bytes) => ({ raw: Buffer.from(bytes) })),
    fc.constant({ raw: `{"name":"${m}","address":` }),
    fc.nat({ max: 3 }).map((n) => ({
      raw: `${'{"a":'.repeat(20 + n * 500)}"${m}"${'}'.repeat(20 + n * 500)}`,
    })),
    fc.constant({ raw: JSON.stringify({ name: 'x', address: 'y', pad: m.repeat(2_000) }) }),
  );

const segment = (m: string) =>
  fc.oneof(
    fc.constant(m),
    fc.constantFrom(
      'hosp_00000000-0000-4000-8000-000000000000',
      '__proto__',
      'constructor',
      '%24where',
      '..%2F..%2Fadmin',
      '%E0%A4%A',
      '%00',
      'hospital-api.create',
    ),
    fc.string({ maxLength: 20 }).map(encodeURIComponent),
    fc.constant(encodeURIComponent(`<x>${m}`)),
  );

const pathOf = (m: string) =>
  fc.oneof(
    fc.constant('/hospitals'),
    segment(m).map((s) => `/hospitals/${s}`),
    fc
      .tuple(segment(m), fc.constantFrom('open', 'close', m))
      .map(([a, b]) => `/admin/breakers/${a}/${b}`),
    fc.constantFrom('/healthz', '/readyz', '/metrics', '/status', '/status.json', '/status.js'),
    segment(m).map((s) => `/${s}`),
  );

const queryOf = (m: string) =>
  fc
    .array(
      fc.tuple(
        fc.oneof(
          hostileKey,
          fc.constant(m),
          fc.constantFrom('a[b]', '__proto__[polluted]', `${m}[$ne]`),
        ),
        fc.oneof(fc.constant(m), fc.string({ maxLength: 10 })),
      ),
      { maxLength: 4 },
    )
    .map((pairs) =>
      pairs.length === 0
        ? ''
        : `?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`,
    );

const authOf = (m: string) =>
  fc.oneof(
    fc.constant(undefined),
    {
      weight: 4,
      arbitrary: fc.constantFrom(auth(ALICE), auth(BOB), auth(ADMIN)).map((h) => h.Authorization),
    },
    fc.constant(`Bearer ${m}`),
    fc.constant(`Bearer ${m}${'k'.repeat(600)}`),
    fc.constant(`Basic ${m}`),
    ascii(80),
  );

const idemOf = (m: string) =>
  fc.oneof(
    fc.constant(undefined),
    { weight: 4, arbitrary: fc.constant(m) },
    fc.constant(`"${m}"`),
    fc.constant(`${m}${'i'.repeat(300)}`),
    ascii(40),
  );

const contentTypeOf = (m: string) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant('application/json') },
    fc.constantFrom(
      'application/json; charset=utf-8',
      'application/json; charset=koi8-r',
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/problem+json',
    ),
    fc.constant(`application/${m}`),
    fc.constant(`application/json; ${m}=1`),
  );

/** A method and path: half the time a route that exists with its own method, else anything. */
const routeOf = (m: string) =>
  fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({ method: fc.constant('POST'), path: fc.constant('/hospitals') }),
    },
    fc.record({
      method: fc.constantFrom('GET', 'DELETE'),
      path: segment(m).map((s) => `/hospitals/${s}`),
    }),
    fc.record({
      method: fc.constant('POST'),
      path: fc
        .tuple(segment(m), fc.constantFrom('open', 'close', m))
        .map(([a, b]) => `/admin/breakers/${a}/${b}`),
    }),
    fc.record({
      method: fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS', 'HEAD'),
      path: pathOf(m),
    }),
  );

const requestOf = marker.chain((m) =>
  fc.record({
    marker: fc.constant(m),
    route: routeOf(m),
    query: queryOf(m),
    authorization: authOf(m),
    idempotencyKey: idemOf(m),
    contentType: contentTypeOf(m),
    body: bodyOf(m),
    extraHeader: fc.constantFrom('X-Forwarded-For', 'X-Original-URL', 'Accept', 'X-Tenant'),
  }),
);

type Fuzzed = typeof requestOf extends fc.Arbitrary<infer T> ? T : never;

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
/** Where a hidden key or a borrowed prototype is in `value`, or undefined. */
function hiddenIn(value: unknown, at = '$'): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const proto = Object.getPrototypeOf(value);
  const plain = Array.isArray(value)
    ? proto === Array.prototype
    : proto === Object.prototype || proto === null;
  if (!plain) return `${at} (prototype)`;
  for (const key of Reflect.ownKeys(value)) {
    if (typeof key !== 'string') return `${at} (symbol key)`;
    if (key.startsWith('$') || key.includes('.') || FORBIDDEN.has(key)) return `${at}[${key}]`;
    const inner = hiddenIn((value as Record<string, unknown>)[key], `${at}.${key}`);
    if (inner) return inner;
  }
  return undefined;
}

describe('HTTP surface fuzzing (fast-check, supertest against the exported app)', () => {
  let h: Harness;
  const inputs: HandlerInput[] = [];
  const protoKeys = Object.getOwnPropertyNames(Object.prototype).sort();
  beforeAll(async () => {
    h = await startHarness(
      {
        INBOUND_RATE_LIMIT: '1000000',
        OPS_RATE_LIMIT: '1000000',
        LOG_LEVEL: 'error',
      },
      {},
      { onInput: (i) => inputs.push(i) },
    );
  });
  afterAll(async () => {
    await h.close();
  });

  const send = (r: Fuzzed, app = h.app) => {
    const method = r.route.method.toLowerCase() as 'get';
    let req = request(app)
      [method](`${r.route.path}${r.query}`)
      .timeout({ response: RESPONSE_MS, deadline: RESPONSE_MS * 2 })
      .set(r.extraHeader, r.marker);
    if (r.authorization !== undefined) req = req.set('Authorization', r.authorization);
    if (r.idempotencyKey !== undefined) req = req.set('Idempotency-Key', r.idempotencyKey);
    if (r.body !== undefined && r.route.method !== 'GET' && r.route.method !== 'HEAD') {
      req = req.set('Content-Type', r.contentType).send(r.body.raw);
    }
    return req;
  };

  it('never a 5xx, never a hang, never a reflected value, never a hidden key in a handler', async () => {
    await fc.assert(
      fc.asyncProperty(requestOf, async (r) => {
        inputs.length = 0;
        const res = await send(r);
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400 && r.route.method !== 'HEAD')
          expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.text ?? '').not.toContain(r.marker);
        for (const [name, value] of Object.entries(res.headers))
          expect(`${name}: ${String(value)}`).not.toContain(r.marker);
        for (const input of inputs) {
          expect(hiddenIn(input.body)).toBeUndefined();
          expect(hiddenIn(input.query)).toBeUndefined();
          expect(hiddenIn(input.params)).toBeUndefined();
        }
        expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoKeys);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        // The fuzzer may force the registry's breaker open with the admin key (a documented
        // action, answered 2xx): every later create would rightly answer 503 circuit-open, and
        // the breaker is shared by name in this process. Close it again, as an operator would.
        // Only a POST opens it: Express answers an OPTIONS on that path 200 by itself (seed
        // 970328898 sent `OPTIONS /admin/breakers/%20/open`, and closing breaker " " was a 404).
        if (
          r.route.method === 'POST' &&
          res.status < 300 &&
          /^\/admin\/breakers\/[^/]+\/open$/.test(r.route.path)
        )
          await request(h.app)
            .post(r.route.path.replace(/open$/, 'close'))
            .set(auth(ADMIN))
            .expect((c) => expect(c.status).toBeLessThan(300));
      }),
      { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) },
    );
    // Whatever was created carries no hidden key either.
    for (const stored of h.registry.state.hospitals.values())
      expect(hiddenIn(JSON.parse(JSON.stringify(stored)))).toBeUndefined();
  });

  it('reaches the handlers: the fuzzer is not stopped at the door every time', async () => {
    // A guard against a fuzzer that only ever tests the 401/404 paths: a sample run must reach
    // each /hospitals handler and create at least one hospital. Fresh stores and a fixed seed,
    // so the sample is the same on every run (the other property's idempotency records, under
    // keys that may repeat, would change which requests reach a handler).
    const routes = new Set<string>();
    let created = 0;
    const fresh = await startHarness(
      { INBOUND_RATE_LIMIT: '1000000', OPS_RATE_LIMIT: '1000000', LOG_LEVEL: 'error' },
      {},
      { onInput: (i) => routes.add(i.route) },
    );
    try {
      await fc.assert(
        fc.asyncProperty(requestOf, async (r) => {
          const res = await send({ ...r, authorization: auth(ALICE).Authorization }, fresh.app);
          if (res.status === 201) created++;
        }),
        { numRuns: 150, seed: 23 },
      );
    } finally {
      await fresh.close();
    }
    expect([...routes].sort()).toEqual([
      'DELETE /hospitals/:id',
      'GET /hospitals/:id',
      'POST /hospitals',
    ]);
    expect(created).toBeGreaterThanOrEqual(5);
  });
});
