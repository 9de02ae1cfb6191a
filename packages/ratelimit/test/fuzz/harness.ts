// Issue #23 fuzzing of the inbound rate limit middleware over HTTP (supertest), shared by the
// memory store run (test/unit/fuzz.test.ts) and the real Redis run
// (test/integration/fuzz.redis.test.ts). Each case builds a fresh app (random `trust proxy`,
// points, keyBy: the client IP, or a key from a table of huge, unicode, empty and marked keys)
// and sends a random sequence of requests (methods, paths, X-Forwarded-For chains and Forwarded
// headers, hostile or valid). Properties, for every answer:
//   - never a 5xx, an answer before the deadline (never a hang);
//   - nothing from the request reflected: every hostile header value and key carries a marker,
//     and no response body or header contains it;
//   - a 429 is problem+json (status 429) with a Retry-After of whole seconds in [1, window], a
//     RateLimit header with r=0 and t in [0, window] and the RateLimit-Policy of the limiter;
//   - per key (the key the handler sees: keyBy(req), or ipKey(req.ip) by default) the requests
//     are answered in order: the first `points` pass, every later one is a 429 (one window:
//     never more than `points` per key).
import express from 'express';
import fc from 'fast-check';
import request from 'supertest';
import { ipKey, type RateLimitOptions, rateLimit } from '../../src';

export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? process.env.RESIL_FC_MAX_RUNS ?? 40);
const MARK = 'KQZX';
const DEADLINE_MS = 10_000;
const WINDOW_S = 60;

const hostileHop = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', maxLength: 30 }).map((s) => `${MARK}${s.replace(/,/g, '')}`),
  fc.constant(`${MARK}%`),
  fc.constant(`[${MARK}]`),
  fc.constant(`::ffff:${MARK}`),
  fc.constant(`fe80::1%${MARK}`),
  fc.integer({ min: 50, max: 2_000 }).map((n) => `${MARK}${'1.'.repeat(n)}`),
);
const validHop = fc.oneof(
  fc.ipV4(),
  fc.ipV6(),
  fc.constantFrom('127.0.0.1', '::1', '10.0.0.1', '::ffff:203.0.113.9', '2001:db8::1'),
);
const xffArb = fc.option(
  fc
    .array(fc.oneof(validHop, hostileHop), { minLength: 1, maxLength: 8 })
    .chain((hops) => fc.constantFrom(', ', ',', ' , ').map((sep) => hops.join(sep))),
  { nil: undefined },
);
const forwardedArb = fc.option(
  fc.oneof(
    hostileHop.map((h) => `for=${h}`),
    validHop.map((h) => `for="${h}";proto=https`),
    fc.constant(`for=${MARK};by=${MARK}, for=unknown`),
  ),
  { nil: undefined },
);
const pathArb = fc.oneof(
  fc.webPath().map((p) => (p.startsWith('/') ? p : `/${p}`)),
  fc.constantFrom('/', '/health', '/%2e%2e/%2e%2e', '/a?b=%00', '//x', `/${MARK}`),
);
const methodArb = fc.constantFrom('get', 'post', 'put', 'patch', 'delete', 'head', 'options');
/** keyBy results: huge, unicode, empty, control characters; each non-empty one carries the marker. */
const keyArb = fc.oneof(
  fc.constant(''),
  fc.string({ unit: 'binary', maxLength: 40 }).map((s) => `${MARK}${s}`),
  fc.integer({ min: 1_000, max: 200_000 }).map((n) => `${MARK}${'k'.repeat(n)}`),
  fc.constantFrom(`${MARK}\u{1F600}`, `${MARK}\uD800`, `${MARK}\u0000\r\n`, `\u202E${MARK}`),
);

const reqArb = fc.record({
  method: methodArb,
  path: pathArb,
  xff: xffArb,
  forwarded: forwardedArb,
  key: fc.nat({ max: 3 }),
});

export const caseArb = fc.record({
  trust: fc.constantFrom<boolean | string | number>(false, true, 'loopback', 1, 2),
  points: fc.integer({ min: 1, max: 4 }),
  keys: fc.option(fc.array(keyArb, { minLength: 4, maxLength: 4 }), { nil: undefined }),
  requests: fc.array(reqArb, { minLength: 1, maxLength: 20 }),
});
export type FuzzCase = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

export async function runCase(
  c: FuzzCase,
  options: Partial<RateLimitOptions> & { close?: () => Promise<void> } = {},
): Promise<void> {
  const app = express();
  app.set('trust proxy', c.trust);
  const keys = c.keys;
  const keyBy = keys ? (req: express.Request) => keys[Number(req.get('x-k'))] ?? '' : undefined;
  const limit = rateLimit({
    points: c.points,
    durationMs: WINDOW_S * 1000,
    policyName: 'fz',
    logger: false,
    ...(keyBy ? { keyBy } : {}),
    ...options,
  });
  // the key the limiter counts this request under, seen by the app before the limiter
  let key = '';
  app.use((req, _res, next) => {
    key = keyBy ? keyBy(req) : ipKey(req.ip, 56);
    next();
  });
  app.use(limit);
  app.use((_req, res) => {
    res.json({ ok: true }); // never echoes the input
  });
  try {
    const seen = new Map<string, number>();
    for (const r of c.requests) {
      let t = request(app)
        [r.method as 'get'](r.path)
        .set('X-K', String(r.key))
        .timeout(DEADLINE_MS)
        .ok(() => true);
      if (r.xff !== undefined) t = t.set('X-Forwarded-For', r.xff);
      if (r.forwarded !== undefined) t = t.set('Forwarded', r.forwarded);
      const res = await t;
      const n = seen.get(key) ?? 0;
      expect(res.status).toBeLessThan(500);
      const all = `${JSON.stringify(res.headers)}\n${res.text ?? ''}`;
      expect(all).not.toContain(MARK);
      if (res.status === 429) {
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        const retry = res.headers['retry-after'];
        expect(retry).toMatch(/^[1-9][0-9]*$/);
        expect(Number(retry)).toBeLessThanOrEqual(WINDOW_S);
        const m = /^"fz";r=0;t=([0-9]+)$/.exec(res.headers.ratelimit ?? '');
        expect(m).not.toBeNull();
        expect(Number(m?.[1])).toBeLessThanOrEqual(WINDOW_S);
        expect(res.headers['ratelimit-policy']).toBe(`"fz";q=${c.points};w=${WINDOW_S}`);
        if (r.method !== 'head')
          expect(JSON.parse(res.text)).toMatchObject({ status: 429, title: 'Too Many Requests' });
        // refused only once the key has had its `points`
        expect(n).toBe(c.points);
      } else {
        expect(res.status).toBe(200);
        // never more than `points` per key in the window
        expect(n).toBeLessThan(c.points);
        seen.set(key, n + 1);
      }
    }
  } finally {
    await limit.close();
  }
}

export const fuzzProperty = (options: () => Partial<RateLimitOptions>) =>
  fc.assert(
    fc.asyncProperty(caseArb, (c) => runCase(c, options())),
    { numRuns: FUZZ_RUNS, interruptAfterTimeLimit: 25_000, markInterruptAsFailure: false },
  );
