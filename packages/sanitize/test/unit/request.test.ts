import express from 'express';
import { body } from 'express-validator';
import request from 'supertest';
import { bodyErrors, sanitizeRequest, securityHeaders, validate } from '../../src';

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

  it('rejects bad options naming the option', () => {
    expect(() => sanitizeRequest({ maxDepth: 0 })).toThrow(/maxDepth/);
    expect(() => sanitizeRequest({ parameterPollution: 'all' as never })).toThrow(
      /parameterPollution/,
    );
    expect(() => sanitizeRequest({ depth: 3 } as never)).toThrow(/unknown option "depth"/);
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
