import express from 'express';
import { body } from 'express-validator';
import request from 'supertest';
import {
  bodyErrors,
  createSanitizer,
  DEFAULT_MAX_INPUT_LENGTH,
  sanitizeInput,
  sanitizeRequest,
  securityHeaders,
  validate,
} from '../../src';

function echoApp(options?: Parameters<typeof sanitizeRequest>[0]) {
  const app = express();
  app.set('query parser', 'extended'); // qs: ?a[b]=c is nested, the form NoSQL injection uses
  app.use(express.json({ limit: '2kb' }), sanitizeRequest(options));
  const echo: express.RequestHandler = (req, res) => {
    res.json({
      body: req.body ?? null,
      query: req.query,
      params: req.params,
      proto: ({} as { polluted?: unknown }).polluted ?? null,
    });
  };
  // req.params exists only once a route matched: sanitise them on the route
  app.post('/echo/:id', sanitizeRequest({ ...options, parts: ['params'] }), echo);
  app.get('/echo/:id', echo);
  app.use(bodyErrors());
  return app;
}

describe('sanitizeRequest', () => {
  it('sanitises nested string leaves in body, query (Express 5 getter) and params', async () => {
    const r = await request(echoApp())
      .post('/echo/%3Cb%3E7')
      .query({ q: '<script>x</script>name' })
      .send({
        patient: { name: "O'Brien <img src=x onerror=alert(1)>", tags: ['<b>a</b>', 'b'] },
        n: 3,
        ok: true,
        none: null,
      });
    expect(r.status).toBe(200);
    expect(r.body.body).toEqual({
      patient: { name: "O'Brien ", tags: ['a', 'b'] },
      n: 3,
      ok: true,
      none: null,
    });
    expect(r.body.query).toEqual({ q: 'xname' });
    expect(r.body.params).toEqual({ id: '7' });
  });

  it('drops operator and pollution keys', async () => {
    const r = await request(echoApp())
      .post('/echo/1')
      .set('content-type', 'application/json')
      .send(
        '{"name":{"$ne":null},"a.b":1,"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},"ok":"yes"}',
      );
    expect(r.body.body).toEqual({ name: {}, ok: 'yes' });
    expect(r.body.proto).toBeNull();
    const q = await request(echoApp()).get('/echo/1?user[$gt]=&ok=1');
    expect(q.body.query).toEqual({ user: {}, ok: '1' }); // the operator is gone
  });

  it('depth bombs answer 400 and too many fields 413, as problem+json', async () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 50; i++) deep = { d: deep };
    const d = await request(echoApp())
      .post('/echo/1')
      .send(deep as object);
    expect(d.status).toBe(400);
    expect(d.headers['content-type']).toMatch(/^application\/problem\+json/);
    const wide = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i]));
    const w = await request(echoApp({ maxKeys: 20 }))
      .post('/echo/1')
      .send(wide);
    expect(w.status).toBe(413);
    expect(JSON.parse(w.text).title).toBe('Request has too many fields');
  });

  it('repeated query parameters: last by default, first, reject, or kept for arrayParams', async () => {
    expect((await request(echoApp()).get('/echo/1?a=1&a=2')).body.query).toEqual({ a: '2' });
    expect(
      (await request(echoApp({ parameterPollution: 'first' })).get('/echo/1?a=1&a=2')).body.query,
    ).toEqual({ a: '1' });
    expect(
      (await request(echoApp({ parameterPollution: 'reject' })).get('/echo/1?a=1&a=2')).status,
    ).toBe(400);
    expect(
      (await request(echoApp({ arrayParams: ['a'] })).get('/echo/1?a=1&a=2')).body.query,
    ).toEqual({ a: ['1', '2'] });
  });

  it('body-parser errors become problem+json: malformed JSON 400, too large 413, no stack trace', async () => {
    const bad = await request(echoApp())
      .post('/echo/1')
      .set('content-type', 'application/json')
      .send('{"name": "Jane Doe", ');
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(bad.text).not.toContain('Jane');
    expect(bad.text).not.toMatch(/at .*\.js/);
    const big = await request(echoApp())
      .post('/echo/1')
      .send({ notes: 'x'.repeat(5000) });
    expect(big.status).toBe(413);
  });

  it('a string leaf or key longer than maxStringLength answers 413 before it is sanitised', async () => {
    const lengths: number[] = [];
    const app = express();
    app.use(
      express.json({ limit: '1mb' }),
      sanitizeRequest({
        maxStringLength: 100,
        sanitize: (v) => {
          lengths.push(v.length);
          return v;
        },
      }),
    );
    app.post('/', (_req, res) => {
      res.status(204).end();
    });
    const leaf = await request(app)
      .post('/')
      .send({ notes: `Jane Patient ${'<'.repeat(100)}` });
    expect(leaf.status).toBe(413);
    expect(leaf.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(leaf.text)).toMatchObject({ status: 413, title: 'Request field too long' });
    expect(leaf.text).not.toContain('Jane');
    const key = await request(app)
      .post('/')
      .send({ [`k${'a'.repeat(100)}`]: 1 });
    expect(key.status).toBe(413);
    expect(Math.max(0, ...lengths)).toBeLessThanOrEqual(100); // nothing longer reached sanitize
    expect(
      (
        await request(app)
          .post('/')
          .send({ notes: 'a'.repeat(100) })
      ).status,
    ).toBe(204);
  });

  it('a sanitize that throws RESIL_SANITIZE_TOO_LONG answers 413 too', async () => {
    const app = express();
    app.use(
      express.json(),
      sanitizeRequest({ sanitize: createSanitizer({ maxLength: 5 }), maxStringLength: 100 }),
    );
    app.post('/', (_req, res) => {
      res.status(204).end();
    });
    expect((await request(app).post('/').send({ a: 'abcdef' })).status).toBe(413);
    expect((await request(app).post('/').send({ a: 'abcde' })).status).toBe(204);
  });

  it('rebuilds objects with Object.prototype, also from the null-prototype query of the simple parser', async () => {
    const app = express(); // Express 5 default: the "simple" query parser (node:querystring)
    let query: unknown;
    app.use(sanitizeRequest());
    app.get('/', (req, res) => {
      query = req.query;
      res.status(204).end();
    });
    await request(app).get('/?__proto__=1&constructor=2&a=%3Cb%3Ex').expect(204);
    expect(Object.getPrototypeOf(query)).toBe(Object.prototype);
    expect(query).toEqual({ a: 'x' });
  });

  describe('req.params', () => {
    // CI also runs this file on Express 4 (RESIL_EXPRESS=4): there a splat is `:rest(*)`, its value
    // one string, also under the key '0'; Express 5 writes `*rest` and gives an array of segments.
    const EXPRESS4 = typeof (express as unknown as { query?: unknown }).query === 'function';
    const splat = (...segments: string[]) =>
      EXPRESS4 ? { 0: segments.join('/'), rest: segments.join('/') } : { rest: segments };

    function paramsApp(options?: Parameters<typeof sanitizeRequest>[0], routeLevel = false) {
      const seen: unknown[] = [];
      const app = express();
      app.use(sanitizeRequest(options));
      const record: express.RequestHandler = (req, res) => {
        seen.push(req.params);
        res.status(204).end();
      };
      if (routeLevel) app.get('/one/:id', sanitizeRequest(options), record);
      else app.get('/one/:id', record);
      app.get(EXPRESS4 ? '/files/:rest(*)' : '/files/*rest', record);
      const nested = express.Router({ mergeParams: true });
      nested.get('/:child', record);
      app.use('/parent/:pid', nested);
      return { app, seen };
    }

    it('are sanitised when the route matches, also splat arrays and merged params of a nested router', async () => {
      const { app, seen } = paramsApp();
      await request(app).get('/files/%3Cb%3Ea/%22b%22/%E2%80%8Bc').expect(204);
      await request(app).get('/parent/%3Ci%3EP/%3Cs%3EC').expect(204);
      expect(seen).toEqual([splat('a', '\u201db\u201d', 'c'), { pid: 'P', child: 'C' }]);
    });

    it('mounted on the route, a param over maxStringLength answers 413', async () => {
      const { app, seen } = paramsApp({ maxStringLength: 10 }, true);
      const r = await request(app).get(`/one/${'a'.repeat(11)}`);
      expect(r.status).toBe(413);
      expect(seen).toEqual([]);
    });

    it('mounted with app.use only, params it cannot accept reach the handler as {}, never unsanitised', async () => {
      const { app, seen } = paramsApp({ maxStringLength: 10 });
      await request(app)
        .get(`/one/${'<'.repeat(11)}`)
        .expect(204);
      await request(app).get('/one/%3Cb%3Eok').expect(204);
      expect(seen).toEqual([{}, { id: 'ok' }]);
      const few = paramsApp({ maxKeys: 3 });
      await request(few.app).get('/files/a/b/c/d').expect(204);
      await request(few.app).get('/files/a/b').expect(204);
      // Express 4: one string, within maxKeys; Express 5: an array of 4 segments, over maxKeys 3
      expect(few.seen).toEqual([EXPRESS4 ? splat('a', 'b', 'c', 'd') : {}, splat('a', 'b')]);
    });

    it('a route-level instance applies its sanitize on top of the app-level hook', async () => {
      const upper = (v: string) => v.replaceAll('n', 'N'); // keys go through it too: 'id' stays
      const seen: unknown[] = [];
      const app = express();
      app.use(sanitizeRequest());
      app.get('/x/:id', sanitizeRequest({ sanitize: upper, parts: ['params'] }), (req, res) => {
        seen.push(req.params);
        res.status(204).end();
      });
      await request(app).get('/x/%3Cb%3Eann').expect(204);
      expect(seen).toEqual([{ id: 'aNN' }]);
    });
  });

  it('rejects bad options naming the option', () => {
    expect(() => sanitizeRequest({ maxDepth: 0 })).toThrow(/maxDepth/);
    expect(() => sanitizeRequest({ parameterPollution: 'all' as never })).toThrow(
      /parameterPollution/,
    );
    expect(() => sanitizeRequest({ depth: 3 } as never)).toThrow(/unknown option "depth"/);
    expect(() => sanitizeRequest({ maxStringLength: 0 })).toThrow(/maxStringLength/);
    expect(() => sanitizeRequest({ parts: ['headers'] as never })).toThrow(/parts/);
  });
});

describe('validate', () => {
  it('422 problem+json with { field, message }, never the rejected value', async () => {
    const app = express();
    app.use(express.json());
    app.post(
      '/h',
      validate([
        body('name')
          .isString()
          .isLength({ min: 1, max: 5 })
          .withMessage('name must be 1 to 5 characters'),
        body('ssn').not().exists().withMessage('ssn is not accepted'),
      ]),
      (_req, res) => {
        res.status(201).end();
      },
    );
    const r = await request(app)
      .post('/h')
      .send({ name: 'Jane Secret-Patient', ssn: '123-45-6789' });
    expect(r.status).toBe(422);
    expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(r.text)).toMatchObject({
      status: 422,
      errors: [
        { field: 'name', message: 'name must be 1 to 5 characters' },
        { field: 'ssn', message: 'ssn is not accepted' },
      ],
    });
    expect(r.text).not.toContain('123-45-6789');
    expect(r.text).not.toContain('Secret');
    expect((await request(app).post('/h').send({ name: 'Ann' })).status).toBe(201);
  });
});

describe('validate with customSanitizer(sanitizeInput)', () => {
  it('a value over the sanitiser cap answers 413 problem+json, not 500', async () => {
    const app = express();
    app.use(express.json({ limit: '1mb' }));
    app.post(
      '/h',
      validate([body('notes').isString().bail().customSanitizer(sanitizeInput)]),
      (_req, res) => {
        res.status(204).end();
      },
    );
    const r = await request(app)
      .post('/h')
      .send({ notes: `Jane ${'x'.repeat(DEFAULT_MAX_INPUT_LENGTH)}` });
    expect(r.status).toBe(413);
    expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(r.text).not.toContain('Jane');
    expect((await request(app).post('/h').send({ notes: 'ok' })).status).toBe(204);
  });
});

describe('securityHeaders', () => {
  it('sets the JSON API headers and lets an option override ours', async () => {
    const app = express();
    app.use(securityHeaders());
    app.get('/', (_req, res) => {
      res.json({});
    });
    const r = await request(app).get('/');
    expect(r.headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'");
    expect(r.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    expect(r.headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(r.headers['x-frame-options']).toBe('DENY');
    expect(r.headers['x-powered-by']).toBeUndefined();
    const custom = express();
    custom.use(securityHeaders({ referrerPolicy: { policy: 'same-origin' }, hsts: false }));
    custom.get('/', (_req, res) => {
      res.json({});
    });
    const c = await request(custom).get('/');
    expect(c.headers['referrer-policy']).toBe('same-origin');
    expect(c.headers['strict-transport-security']).toBeUndefined();
  });
});

/**
 * The params hook must not make functions per request: V8 keeps an accessor's functions in the
 * object's hidden class, so a getter made per request gives every request a class of its own and
 * slows every later property access on it (Express, validators, the handler).
 */
describe('sanitizeRequest: the params hook is shared by every request', () => {
  it('installs the same accessor functions on every request, and they still sanitise', async () => {
    const seen: Array<PropertyDescriptor | undefined> = [];
    const app = express();
    app.use(sanitizeRequest());
    app.get('/p/:id', (req, res) => {
      seen.push(Object.getOwnPropertyDescriptor(req, 'params'));
      res.json({ id: req.params.id });
    });
    const a = await request(app).get('/p/%3Cb%3Ex%3C%2Fb%3E');
    const b = await request(app).get('/p/plain');
    expect([a.body, b.body]).toEqual([{ id: 'x' }, { id: 'plain' }]);
    const [d1, d2] = seen;
    expect(typeof d1?.get).toBe('function');
    expect(d1?.get).toBe(d2?.get);
    expect(d1?.set).toBe(d2?.set);
  });

  it('shares the refusal accessor too, and a refused assignment reads back as its refusal', async () => {
    const refusedKey = Symbol.for('@resil/sanitize.paramsRefused');
    const got: unknown[] = [];
    const app = express();
    app.use(sanitizeRequest({ maxStringLength: 5 }));
    app.get('/p/:id', (req, res) => {
      got.push(Object.getOwnPropertyDescriptor(req, refusedKey)?.get);
      got.push((req as unknown as Record<symbol, unknown>)[refusedKey] !== undefined);
      res.json({ params: req.params });
    });
    const long = await request(app).get('/p/abcdefgh');
    const short = await request(app).get('/p/abc');
    expect([long.body, short.body]).toEqual([{ params: {} }, { params: { id: 'abc' } }]);
    expect(typeof got[0]).toBe('function');
    expect(got[0]).toBe(got[2]);
    expect([got[1], got[3]]).toEqual([true, false]);
  });
});
