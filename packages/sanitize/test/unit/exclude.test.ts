import express from 'express';
import request from 'supertest';
import { sanitizeRequest } from '../../src';
import { compileExclude, MAX_EXCLUDE_PATHS, MAX_EXCLUDE_STATES } from '../../src/internal/exclude';

// Runs on Express 5 and, with RESIL_EXPRESS=4, on Express 4 (jest.config.base.cjs maps `express`).

type Options = Parameters<typeof sanitizeRequest>[0];

function echoApp(options: Options, routeLevel = false) {
  const app = express();
  app.set('query parser', 'extended');
  app.use(express.json({ limit: '64kb' }), sanitizeRequest(options));
  const echo: express.RequestHandler = (req, res) => {
    res.json({
      body: req.body ?? null,
      query: req.query,
      params: req.params,
      proto: ({} as { polluted?: unknown }).polluted ?? null,
    });
  };
  if (routeLevel) app.post('/p/:token', sanitizeRequest({ ...options, parts: ['params'] }), echo);
  else app.post('/p/:token', echo);
  app.post('/', echo);
  return app;
}

const PASSWORD = 'pa"ss<x<b>word\u200b';

describe('sanitizeRequest({ exclude })', () => {
  it('leaves an excluded string value as it is in body, query and params; the rest is sanitised', async () => {
    for (const routeLevel of [false, true]) {
      const r = await request(echoApp({ exclude: ['password', 'token'] }, routeLevel))
        .post(`/p/${encodeURIComponent(PASSWORD)}`)
        .query({ token: PASSWORD, name: '<b>Ann</b>' })
        .send({ password: PASSWORD, name: 'O"Brien<b>', token: PASSWORD });
      expect(r.status).toBe(200);
      expect(r.body.body).toEqual({ password: PASSWORD, name: 'O\u201dBrien', token: PASSWORD });
      expect(r.body.query).toEqual({ token: PASSWORD, name: 'Ann' });
      expect(r.body.params).toEqual({ token: PASSWORD });
    }
  });

  it('without exclude the same password is altered (what #20 fixes)', async () => {
    const r = await request(echoApp({})).post('/').send({ password: PASSWORD });
    expect(r.body.body.password).not.toBe(PASSWORD);
  });

  it('dot paths name nested fields; `*` is exactly one level, and what it names is excluded whole', async () => {
    const r = await request(echoApp({ exclude: ['user.password', 'content.*'] }))
      .post('/')
      .send({
        password: '<b>top',
        user: { password: '<b>p"w', name: '<b>n' },
        content: { a: '<b>a', b: { c: '<b>c' }, list: ['<b>x'] },
        other: { content: { a: '<b>o' } },
      });
    expect(r.body.body).toEqual({
      password: 'top',
      user: { password: '<b>p"w', name: 'n' },
      content: { a: '<b>a', b: { c: '<b>c' }, list: ['<b>x'] },
      other: { content: { a: 'o' } },
    });
    // `content.*` does not name `content` itself
    const s = await request(echoApp({ exclude: ['content.*'] }))
      .post('/')
      .send({ content: '<b>c' });
    expect(s.body.body).toEqual({ content: 'c' });
  });

  it('array items are one level: `list.*` every item, `list.0` the first', async () => {
    const r = await request(echoApp({ exclude: ['list.*', 'pair.0', '*.note'] }))
      .post('/')
      .send({ list: ['<b>a', '<b>b'], pair: ['<b>a', '<b>b'], x: { note: '<i>n', y: '<i>y' } });
    expect(r.body.body).toEqual({
      list: ['<b>a', '<b>b'],
      pair: ['<b>a', 'b'],
      x: { note: '<i>n', y: 'y' },
    });
  });

  it('keys under an excluded path are still checked: operators and pollution keys are dropped, keys cleaned', async () => {
    const r = await request(echoApp({ exclude: ['profile', '*'] }))
      .post('/')
      .set('content-type', 'application/json')
      .send(
        '{"profile":{"$ne":1,"a.b":2,"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},"<b>k":"<i>v","\\u200b$gt":3},"$where":"1","__proto__":{"polluted":1},"ok":"<i>"}',
      );
    expect(r.status).toBe(200);
    expect(r.body.body).toEqual({ profile: { k: '<i>v' }, ok: '<i>' });
    expect(r.body.proto).toBeNull();
    expect(Object.getPrototypeOf(r.body.body)).toBe(Object.prototype);
    const q = await request(echoApp({ exclude: ['user', 'user.*'] })).post(
      '/?user[$gt]=&user[name]=%3Cb%3E',
    );
    expect(q.body.query).toEqual({ user: { name: '<b>' } });
  });

  it('an excluded path matches the key as sent: a key that needed cleaning to match is sanitised', async () => {
    const r = await request(echoApp({ exclude: ['password'] }))
      .post('/')
      .send({ '<b>password': '<b>x' });
    expect(r.body.body).toEqual({ password: 'x' });
  });

  it('limits still apply under an excluded path: length 413, depth 400, keys 413', async () => {
    const app = echoApp({ exclude: ['*'], maxStringLength: 10, maxDepth: 3, maxKeys: 5 });
    const long = await request(app).post('/').send({ password: 'Jane Patient secret' });
    expect(long.status).toBe(413);
    expect(long.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(long.text).not.toContain('Jane');
    expect(
      (
        await request(app)
          .post('/')
          .send({ a: { b: { c: { d: 'x' } } } })
      ).status,
    ).toBe(400);
    expect(
      (
        await request(app)
          .post('/')
          .send({ a: [1, 2, 3, 4, 5, 6] })
      ).status,
    ).toBe(413);
  });

  it.each([
    ['a string', 'password', TypeError],
    ['an array with a non-string', ['ok', 1], TypeError],
    ['an empty path', [''], RangeError],
    ['an empty segment', ['a..b'], RangeError],
    ['a trailing dot', ['a.'], RangeError],
    ['`**`', ['a.**'], RangeError],
    ['a `*` inside a segment', ['pass*'], RangeError],
    ['__proto__', ['a.__proto__'], RangeError],
    ['constructor', ['constructor'], RangeError],
    ['prototype', ['x.prototype'], RangeError],
    ['an operator key', ['$where'], RangeError],
    ['a path deeper than maxDepth', ['a.b.c.d'], RangeError],
    [
      'too many paths',
      Array.from({ length: MAX_EXCLUDE_PATHS + 1 }, (_, i) => `f${i}`),
      RangeError,
    ],
  ])('refuses %s with an error naming exclude', (_what, exclude, Type) => {
    let thrown: unknown;
    try {
      sanitizeRequest({ exclude: exclude as string[], maxDepth: 3 });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(Type);
    expect(thrown).toMatchObject({ option: 'exclude' });
    expect((thrown as Error).message).toMatch(/^sanitizeRequest: exclude/);
  });

  it('accepts MAX_EXCLUDE_PATHS paths and a path of maxDepth segments', () => {
    expect(() =>
      sanitizeRequest({
        exclude: Array.from({ length: MAX_EXCLUDE_PATHS }, (_, i) => `f${i}.*`),
      }),
    ).not.toThrow();
    expect(() => sanitizeRequest({ exclude: ['a.b.c'], maxDepth: 3 })).not.toThrow();
    expect(() => sanitizeRequest({ exclude: [] })).not.toThrow();
  });
});

describe('exclude: exact refusals and boundaries', () => {
  const message = (exclude: unknown, maxDepth = 3) => {
    try {
      sanitizeRequest({ exclude: exclude as string[], maxDepth });
    } catch (err) {
      return (err as Error).message;
    }
    return 'no error';
  };

  it('names the rule and the index of the path, never the path', () => {
    expect(message('x')).toBe('sanitizeRequest: exclude must be an array of strings');
    expect(message(['a', 'b.__proto__'])).toBe(
      'sanitizeRequest: exclude [1] names a key that sanitizeRequest always drops',
    );
    expect(message(['a..b'])).toBe(
      'sanitizeRequest: exclude [0] must be dot-separated keys or "*" (one level)',
    );
    expect(message(['a.b.c.d'])).toBe(
      'sanitizeRequest: exclude [0] has more than maxDepth (3) segments',
    );
    expect(message(Array.from({ length: MAX_EXCLUDE_PATHS + 1 }, () => 'a'))).toBe(
      'sanitizeRequest: exclude must have at most 1000 paths',
    );
    expect(message([`k${'a'.repeat(1000)}`], 10)).toBe(
      'sanitizeRequest: exclude [0] must be at most 1000 characters',
    );
    expect(message(['a'.repeat(1000)], 10)).toBe('no error');
  });

  it('a string of exactly maxStringLength under an excluded path passes as it is', async () => {
    const r = await request(echoApp({ exclude: ['p'], maxStringLength: 10 }))
      .post('/')
      .send({ p: '<b>"12345"' });
    expect(r.status).toBe(200);
    expect(r.body.body).toEqual({ p: '<b>"12345"' });
  });
});

describe('compileExclude (bounded: one map look-up per key whatever the list)', () => {
  it('paths sharing a prefix keep every branch; an ended path excludes whatever else matched', () => {
    const root = compileExclude(['a.b', 'a.c', '*.x', '*.y'], 10);
    expect(root?.next.get('a')?.next.get('b')?.all).toBe(true);
    expect(root?.next.get('a')?.next.get('c')?.all).toBe(true);
    expect(root?.other?.next.get('x')?.all).toBe(true);
    expect(root?.other?.next.get('y')?.all).toBe(true);
    const ended = compileExclude(['a', '*.b'], 10);
    expect(ended?.next.get('a')?.all).toBe(true);
    expect(ended?.other?.all).toBe(false);
  });

  it('refuses a list over MAX_EXCLUDE_STATES with the message naming the limit', () => {
    const paths: string[] = [];
    for (let mask = 0; mask < 1000; mask++)
      paths.push(
        Array.from({ length: 10 }, (_, level) =>
          mask & (1 << level) ? `k${level}${mask % 7}` : '*',
        ).join('.'),
      );
    expect(() => compileExclude(paths, 10)).toThrow(
      `sanitizeRequest: exclude combines into more than ${MAX_EXCLUDE_STATES} states: use fewer "*" paths`,
    );
  });

  it('is undefined for no paths', () => {
    expect(compileExclude([], 10)).toBeUndefined();
  });

  it('compiles to a deterministic automaton: a key is one look-up, `*` the fallback', () => {
    const root = compileExclude(['a.b', '*.c', 'd'], 10);
    expect(root?.all).toBe(false);
    const a = root?.next.get('a');
    expect(a?.all).toBe(false);
    expect(a?.next.get('b')?.all).toBe(true);
    expect(a?.next.get('c')?.all).toBe(true); // from `*.c`
    expect(a?.other).toBeUndefined();
    expect(root?.next.get('d')?.all).toBe(true);
    expect(root?.other?.next.get('c')?.all).toBe(true);
    expect(root?.other?.next.get('b')).toBeUndefined();
  });

  it('a thousand paths give a number of states linear in the list, shared across the keys', () => {
    const paths = Array.from({ length: 1000 }, (_, i) => `*.*.f${i}`);
    const root = compileExclude(paths, 10);
    expect(root?.next.size).toBe(0);
    expect(root?.other?.other?.next.size).toBe(1000);
  });

  it('refuses a list whose wildcards combine into too many states (RangeError naming exclude)', () => {
    // every combination of literal or `*` on 10 levels: 2^10 paths, far more combined states
    const paths: string[] = [];
    for (let mask = 0; mask < 1000; mask++)
      paths.push(
        Array.from({ length: 10 }, (_, level) =>
          mask & (1 << level) ? `k${level}${mask % 7}` : '*',
        ).join('.'),
      );
    expect(() => compileExclude(paths, 10)).toThrow(
      expect.objectContaining({ option: 'exclude', name: 'OptionRangeError' }),
    );
  });
});
