import express from 'express';
import { body, param, query } from 'express-validator';
import fc from 'fast-check';
import request from 'supertest';
import {
  bodyErrors,
  hasVisibleText,
  isDangerousKey,
  sanitizeInput,
  sanitizeRequest,
  securityHeaders,
  validate,
} from '../../src';

/**
 * Fuzzing the middleware over HTTP (supertest): random and hostile bodies, queries, path params
 * and headers against an app built the way the README says. Properties, for every request:
 * never a 5xx; an answer within the deadline (never a hang); in `req.body`, `req.query` and
 * `req.params` no operator or prototype key, no object whose prototype came from input, and every
 * string (key or leaf) already sanitised; `Object.prototype` untouched; and the response (body
 * and headers) never contains a value from the request (each value carries a marker we look for).
 */

/** What the handlers saw that they must not have seen. */
const violations: string[] = [];

function inspect(where: string, value: unknown, depth = 0): void {
  if (depth > 64) {
    violations.push(`${where}: deeper than 64`);
    return;
  }
  if (typeof value === 'string') {
    if (sanitizeInput(value) !== value) violations.push(`${where}: unsanitised string`);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const proto = Object.getPrototypeOf(value);
  if (Array.isArray(value)) {
    if (proto !== Array.prototype) violations.push(`${where}: array with a foreign prototype`);
    value.forEach((v, i) => {
      inspect(`${where}[${i}]`, v, depth + 1);
    });
    return;
  }
  if (proto !== Object.prototype && proto !== null)
    violations.push(`${where}: object with a foreign prototype`);
  for (const key of Reflect.ownKeys(value)) {
    if (typeof key !== 'string') continue;
    if (isDangerousKey(key)) violations.push(`${where}: dangerous key`);
    if (sanitizeInput(key) !== key) violations.push(`${where}: unsanitised key`);
    inspect(`${where}.key`, (value as Record<string, unknown>)[key], depth + 1);
  }
}

const PROTO_NAMES = Object.getOwnPropertyNames(Object.prototype).sort();

function fuzzApp() {
  const app = express();
  app.set('query parser', 'extended'); // qs: the parser that builds nested objects from ?a[b]=c
  app.use(
    securityHeaders(),
    express.json({ limit: '64kb' }),
    express.urlencoded({ extended: true, limit: '64kb' }),
    sanitizeRequest(),
  );
  const handler: express.RequestHandler = (req, res) => {
    inspect('body', req.body);
    inspect('query', req.query);
    inspect('params', req.params);
    res.json({ ok: true });
  };
  const checks = validate([
    body('name')
      .optional()
      .isString()
      .bail()
      .isLength({ max: 200 })
      .bail()
      .customSanitizer(sanitizeInput)
      .custom(hasVisibleText)
      .withMessage('name: 1 to 200 visible characters'),
    query('page').optional().isInt({ min: 1, max: 1000 }).withMessage('page: 1 to 1000'),
    param('id').optional().isLength({ min: 1, max: 64 }).withMessage('id: 1 to 64 characters'),
  ]);
  app.all('/p/:id', checks, handler);
  app.all('/files/*rest', handler);
  const router = express.Router();
  router.all('/:id/:other', handler);
  app.use('/r', router);
  app.use((_req, res) => {
    res.status(404).json({ ok: false });
  });
  app.use(bodyErrors());
  return app;
}

/** Values carry a marker; a response that contains it reflected a request value. */
const marker = fc.stringMatching(/^[a-z0-9]{10}$/).map((s) => `mk${s}`);

const hostileKey = fc.oneof(
  fc.constantFrom(
    '$ne',
    '$where',
    '$gt',
    'a.b',
    '__proto__',
    'constructor',
    'prototype',
    '<x>$ne',
    '__<b>proto__',
    'con<i>structor',
    'pro\u0000totype',
    '\u200b$gt',
    '<b>a.b',
    'name',
    'isAdmin',
    '',
  ),
  fc.string({ maxLength: 12 }),
);

const hostileText = (mk: string) =>
  fc.oneof(
    fc.constantFrom(
      `<script>${mk}</script>`,
      `<img src=x onerror=alert('${mk}')>`,
      `"${mk}"`,
      `<-<é>${mk}`,
      `\u202e${mk}\u200b`,
      `${mk}\r\n\u0000`,
      mk,
    ),
    fc.string({ maxLength: 20 }).map((s) => `${s}${mk}`),
    fc
      .tuple(
        fc.constantFrom('<', '<a', '<<b>', 'x', '"', '\u200b'),
        fc.integer({ min: 1000, max: 12_000 }),
      )
      .map(([unit, n]) => `${unit.repeat(n)}${mk}`),
  );

/** A JSON text (not an object: it may hold duplicate and `__proto__` keys verbatim). */
const jsonText = (mk: string): fc.Arbitrary<string> => {
  const { tree } = fc.letrec((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      hostileText(mk).map((s) => JSON.stringify(s)),
      fc.constantFrom('null', 'true', '1', '-0.5'),
      fc.array(tie('tree'), { maxLength: 4 }).map((items) => `[${items.join(',')}]`),
      fc
        .array(fc.tuple(hostileKey, tie('tree')), { maxLength: 5 })
        .map(
          (e) => `{${e.map(([k, v]) => `${JSON.stringify(k + (k ? '' : mk))}:${v}`).join(',')}}`,
        ),
    ),
  }));
  const deep = fc
    .tuple(fc.integer({ min: 1, max: 60 }), hostileKey)
    .map(([d, k]) => `${`{${JSON.stringify(k)}:`.repeat(d)}${JSON.stringify(mk)}${'}'.repeat(d)}`);
  const broken = fc.constantFrom(`{"name": "${mk}", `, `{"${mk}"`, `[${mk}]`, `{"a":"\\u${mk}"}`);
  return fc.oneof(
    tree.map((t) => (t.startsWith('{') || t.startsWith('[') ? t : `{"name":${t}}`)),
    deep,
    broken,
  );
};

const queryString = (mk: string) =>
  fc
    .array(
      fc.tuple(
        fc.oneof(
          hostileKey.map(encodeURIComponent),
          fc.constantFrom(
            'user[$ne]',
            'a[__proto__][isAdmin]',
            'a[constructor][prototype][isAdmin]',
            '__proto__[isAdmin]',
            '%3Cx%3E%24where',
            'u[%3Cb%3E%24ne]',
            'page',
            'a[b][c][d][e][f][g][h][i][j][k][l]',
            'arr[]',
            'arr[999999]',
          ),
        ),
        hostileText(mk).map((v) => encodeURIComponent(v.slice(0, 500))),
      ),
      { maxLength: 6 },
    )
    .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'));

const headerValue = (mk: string) =>
  fc
    .string({ unit: fc.constantFrom(...'abcXYZ019 -_;=,/*'.split('')), maxLength: 20 })
    .map((s) => `${s}${mk}`);

const requestShape = marker.chain((mk) =>
  fc.record({
    mk: fc.constant(mk),
    method: fc.constantFrom('post', 'put', 'patch', 'get', 'delete'),
    path: fc.oneof(
      hostileText(mk).map((v) => `/p/${encodeURIComponent(v.slice(0, 200))}`),
      fc
        .array(
          hostileText(mk).map((v) => encodeURIComponent(v.slice(0, 100))),
          { minLength: 1, maxLength: 5 },
        )
        .map((segs) => `/files/${segs.join('/')}`),
      fc
        .tuple(hostileText(mk), hostileText(mk))
        .map(
          ([a, b]) =>
            `/r/${encodeURIComponent(a.slice(0, 100))}/${encodeURIComponent(b.slice(0, 100))}`,
        ),
    ),
    query: queryString(mk),
    contentType: fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'application/json; charset=klingon',
      'application/x-www-form-urlencoded',
      'text/plain',
    ),
    contentEncoding: fc.constantFrom(undefined, 'gzip', 'br', 'x-unknown'),
    body: fc.oneof(jsonText(mk), queryString(mk)),
    headers: fc.array(
      fc.tuple(
        fc.constantFrom('x-custom', 'x-forwarded-for', 'idempotency-key', 'accept', 'referer'),
        headerValue(mk),
      ),
      { maxLength: 3 },
    ),
  }),
);

describe('sanitizeRequest + validate, fuzzed over HTTP', () => {
  const app = fuzzApp();

  it('never a 5xx, never a hang, never an operator or prototype key in req, never a reflected value', async () => {
    await fc.assert(
      fc.asyncProperty(requestShape, async (r) => {
        violations.length = 0;
        let call = request(app)[r.method as 'post'](`${r.path}?${r.query}`).timeout({
          response: 10_000,
          deadline: 20_000,
        });
        for (const [name, value] of r.headers) call = call.set(name, value);
        if (r.method !== 'get' && r.method !== 'delete') {
          call = call.set('content-type', r.contentType);
          if (r.contentEncoding) call = call.set('content-encoding', r.contentEncoding);
          call = call.send(r.body);
        }
        const res = await call;
        expect(res.status).toBeLessThan(500);
        expect(violations).toEqual([]);
        expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTO_NAMES);
        const seen = `${res.text ?? ''}\n${JSON.stringify(res.headers)}`;
        expect(seen.includes(r.mk)).toBe(false);
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 300) },
    );
    // A fixed amount of work (300 requests): on a loaded 2-core machine it took over 30 s, the
    // default timeout, without anything hanging (each request has its own 10 s / 20 s deadline).
  }, 300_000);
});
