import Ajv from 'ajv';
import express from 'express';
import request from 'supertest';
import { z } from 'zod';
import { isSanitizeError, validate } from '../../src';
import { defaultAjv } from '../../src/internal/peers';

// Runs on Express 5 and, with RESIL_EXPRESS=4, on Express 4.

function appWith(mw: express.RequestHandler, limit = '1mb') {
  const app = express();
  app.use(express.json({ limit }));
  app.post('/', mw, (req, res) => {
    res.json({ body: req.body });
  });
  app.use(
    (err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(599).json({ handled: err.name });
    },
  );
  return app;
}

const patient = z.object({
  name: z.string().trim().min(1, 'name: at least one character'),
  age: z.number().int().optional(),
  tags: z.array(z.string()).max(3).optional(),
});

describe('validate(zod schema)', () => {
  it('422 problem+json in the shape of the chains, the value never echoed', async () => {
    const r = await request(appWith(validate(patient)))
      .post('/')
      .send({ name: '   ', age: 'Jane Patient 42', tags: ['a', 7] });
    expect(r.status).toBe(422);
    expect(r.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    const p = JSON.parse(r.text);
    expect(p).toMatchObject({
      type: 'https://resil.dev/problems/validation-failed',
      title: 'Validation failed',
      status: 422,
      detail: '3 field(s) did not pass validation.',
    });
    expect(p.errors.map((e: { field: string }) => e.field)).toEqual(['name', 'age', 'tags[1]']);
    expect(p.errors[0].message).toBe('name: at least one character');
    expect(r.text).not.toContain('Jane');
  });

  it('replaces req.body with the parsed output, typed (unknown keys stripped, strings trimmed)', async () => {
    const app = express();
    app.use(express.json());
    app.post('/', validate(patient), (req, res) => {
      const name: string = req.body.name; // typed: z.output<typeof patient>
      // @ts-expect-error not in the schema
      const nope = req.body.nope;
      res.json({ name, nope: nope ?? null, body: req.body });
    });
    const r = await request(app).post('/').send({ name: '  Ann ', extra: 'x' });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ name: 'Ann', nope: null, body: { name: 'Ann' } });
  });

  it('a strict object names the unknown keys, never their values', async () => {
    const r = await request(appWith(validate(z.strictObject({ name: z.string() }))))
      .post('/')
      .send({ name: 'Ann', role: 'Jane Patient' });
    expect(r.status).toBe(422);
    expect(r.text).toContain('role');
    expect(r.text).not.toContain('Jane');
  });

  it('a message that merely contains a short value (not as a word) is kept', async () => {
    const schema = z.object({ id: z.string().refine(() => false, 'id: unknown') });
    const r = await request(appWith(validate(schema)))
      .post('/')
      .send({ id: 'no' });
    expect(JSON.parse(r.text).errors).toEqual([{ field: 'id', message: 'id: unknown' }]);
    const word = await request(appWith(validate(schema)))
      .post('/')
      .send({ id: 'id' });
    expect(JSON.parse(word.text).errors).toEqual([{ field: 'id', message: 'Invalid value' }]);
  });

  it('a custom message that interpolates the input is replaced by "Invalid value"', async () => {
    const echoing = z.object({
      code: z.string().refine(() => false, { error: (iss) => `bad code ${String(iss.input)}` }),
      n: z.number().refine(() => false, { error: (iss) => `n was ${String(iss.input)}` }),
      short: z.string().refine(() => false, { error: (iss) => `(${String(iss.input)})` }),
      long: z.string().refine(() => false, { error: (iss) => `x${String(iss.input)}y` }),
    });
    const r = await request(appWith(validate(echoing)))
      .post('/')
      .send({ code: 'HIV-positive', n: 31337, short: 'HIV', long: 'Jane' });
    expect(JSON.parse(r.text).errors).toEqual([
      { field: 'code', message: 'Invalid value' },
      { field: 'n', message: 'Invalid value' },
      { field: 'short', message: 'Invalid value' },
      { field: 'long', message: 'Invalid value' },
    ]);
    expect(r.text).not.toContain('HIV');
    expect(r.text).not.toContain('31337');
  });

  it('async refinements run (the middleware awaits the schema)', async () => {
    const schema = z.object({
      id: z.string().refine(async (v) => v === 'ok', 'id: unknown'),
    });
    const app = appWith(validate(schema));
    expect((await request(app).post('/').send({ id: 'ok' })).status).toBe(200);
    expect(JSON.parse((await request(app).post('/').send({ id: 'no' })).text).errors).toEqual([
      { field: 'id', message: 'id: unknown' },
    ]);
  });

  it('part: query validates and replaces req.query (a getter on Express 5), typed', async () => {
    const app = express();
    app.get(
      '/',
      validate(z.object({ page: z.coerce.number().int().min(1) }), { part: 'query' }),
      (req, res) => {
        const page: number = req.query.page;
        res.json({ page });
      },
    );
    expect((await request(app).get('/?page=3')).body).toEqual({ page: 3 });
    expect((await request(app).get('/?page=0')).status).toBe(422);
  });

  it('part: params validates the route params', async () => {
    const app = express();
    app.get(
      '/p/:id',
      validate(z.object({ id: z.string().regex(/^\d+$/) }), { part: 'params' }),
      (req, res) => {
        const id: string = req.params.id;
        res.json({ id });
      },
    );
    expect((await request(app).get('/p/12')).body).toEqual({ id: '12' });
    expect((await request(app).get('/p/abc')).status).toBe(422);
  });

  it('a deep or huge body is refused (400 / 413) before the schema runs', async () => {
    let calls = 0;
    const spy = z.any().transform((v) => {
      calls++;
      return v;
    });
    const d = await request(appWith(validate(spy), '1mb'))
      .post('/')
      .set('content-type', 'application/json')
      .send(`{"d":${'['.repeat(5000)}"x"${']'.repeat(5000)}}`);
    expect(d.status).toBe(400);
    expect(JSON.parse(d.text).title).toBe('Request too deeply nested');
    const wide = await request(appWith(validate(spy, { maxKeys: 50 })))
      .post('/')
      .send(Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])));
    expect(wide.status).toBe(413);
    expect(JSON.parse(wide.text).title).toBe('Request has too many fields');
    const shallow = await request(appWith(validate(spy, { maxDepth: 2 })))
      .post('/')
      .send({ a: { b: { c: 1 } } }); // objects at depth 0, 1 and 2: as sanitizeRequest counts
    expect(shallow.status).toBe(400);
    expect(calls).toBe(0);
    expect(
      (
        await request(appWith(validate(spy, { maxDepth: 2, maxKeys: 2 })))
          .post('/')
          .send({ a: [1] })
      ).status,
    ).toBe(200);
    expect(calls).toBe(1);
  });

  it('an error thrown by the schema goes to the error handler', async () => {
    const throwing = z.object({ a: z.string() }).transform((): { a: string } => {
      throw new SyntaxError('boom');
    });
    const r = await request(appWith(validate(throwing)))
      .post('/')
      .send({ a: 'x' });
    expect([r.status, r.body]).toEqual([599, { handled: 'SyntaxError' }]);
  });
});

const jsonSchema = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1 },
    list: { type: 'array', items: { type: 'integer' } },
    'a/b': { type: 'object', properties: { 'c~d': { type: 'string' } } },
  },
  required: ['name'],
  additionalProperties: false,
} as const;

interface Patient {
  name: string;
  list?: number[];
}

describe('validate(JSON Schema) with Ajv', () => {
  it('422 naming the field: missing, additional, array index, escaped pointer', async () => {
    const app = appWith(validate<Patient>(jsonSchema));
    const cases: Array<[object, string, string]> = [
      [{}, 'name', "must have required property 'name'"],
      [{ name: 'a', role: 'Jane Patient' }, 'role', 'must NOT have additional properties'],
      [{ name: 'a', list: [1, 'Jane'] }, 'list[1]', 'must be integer'],
      [{ name: 'a', 'a/b': { 'c~d': 5 } }, 'a/b.c~d', 'must be string'],
    ];
    for (const [sent, field, message] of cases) {
      const r = await request(app).post('/').send(sent);
      expect(r.status).toBe(422);
      expect(JSON.parse(r.text)).toEqual({
        type: 'https://resil.dev/problems/validation-failed',
        title: 'Validation failed',
        status: 422,
        detail: '1 field(s) did not pass validation.',
        errors: [{ field, message }],
      });
      expect(r.text).not.toContain('Jane');
    }
    expect(
      (
        await request(app)
          .post('/')
          .send({ name: 'Ann', list: [1] })
      ).body,
    ).toEqual({
      body: { name: 'Ann', list: [1] },
    });
  });

  it('typed: validate<Patient>(schema) gives req.body: Patient', async () => {
    const app = express();
    app.use(express.json());
    app.post('/', validate<Patient>(jsonSchema), (req, res) => {
      const name: string = req.body.name;
      res.json({ name });
    });
    expect((await request(app).post('/').send({ name: 'Ann' })).body).toEqual({ name: 'Ann' });
  });

  it('option ajv: compiles with the given instance (allErrors, a message that would echo)', async () => {
    const ajv = new Ajv({ allErrors: true });
    ajv.addKeyword({
      keyword: 'echo',
      validate: Object.assign(
        function echo(this: unknown, _schema: unknown, data: unknown) {
          (echo as unknown as { errors: unknown[] }).errors = [
            { keyword: 'echo', message: `saw ${String(data)}`, params: {} },
          ];
          return false;
        },
        { errors: [] as unknown[] },
      ) as never,
      errors: true,
    });
    const app = appWith(
      validate(
        {
          type: 'object',
          properties: { a: { type: 'string' }, b: { type: 'string', echo: true } },
        },
        { ajv },
      ),
    );
    const r = await request(app).post('/').send({ a: 1, b: 'Jane Patient' });
    expect(JSON.parse(r.text).errors).toEqual([
      { field: 'a', message: 'must be string' },
      { field: 'b', message: 'Invalid value' },
    ]);
    expect(r.text).not.toContain('Jane');
  });

  it('a schema Ajv cannot compile throws at configuration', () => {
    expect(() => validate({ type: 'no-such-type' })).toThrow();
  });
});

describe('validate: options and arguments', () => {
  it.each([
    ['exact with a schema', patient, { exact: true }, RangeError, 'exact'],
    ['part not a part', patient, { part: 'headers' }, RangeError, 'part'],
    ['maxDepth 0', patient, { maxDepth: 0 }, RangeError, 'maxDepth'],
    ['maxKeys not a number', patient, { maxKeys: '9' }, TypeError, 'maxKeys'],
    ['ajv with zod', patient, { ajv: new Ajv() }, RangeError, 'ajv'],
    ['ajv not an instance', jsonSchema, { ajv: {} }, TypeError, 'ajv'],
    ['maxKeys with chains', [], { maxKeys: 5 }, RangeError, 'maxKeys'],
    ['ajv with chains', [], { ajv: new Ajv() }, RangeError, 'ajv'],
  ])('refuses %s naming the option', (_what, schema, options, Type, option) => {
    let thrown: unknown;
    try {
      validate(schema as never, options as never);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(Type);
    expect(thrown).toMatchObject({ option });
  });

  it('refuses null, a number, and a Standard Schema without validate, with a TypeError', () => {
    expect(() => validate(null as never)).toThrow(TypeError);
    expect(() => validate(3 as never)).toThrow(TypeError);
    expect(() => validate({ '~standard': { version: 1 } } as never)).toThrow(
      new TypeError('validate: a Standard Schema must have ~standard.validate'),
    );
  });
});

describe('the optional peer ajv, loaded on first use', () => {
  const notFound = (id: string) => {
    throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
  };

  it('absent: RESIL_SANITIZE_PEER_MISSING naming the package and the option', () => {
    let thrown: unknown;
    try {
      defaultAjv(notFound);
    } catch (err) {
      thrown = err;
    }
    expect(isSanitizeError(thrown)).toBe(true);
    expect(thrown).toMatchObject({
      code: 'RESIL_SANITIZE_PEER_MISSING',
      message:
        'validate: a JSON Schema needs the optional peer dependency ajv 8 (npm i ajv), or an Ajv instance as option ajv',
    });
    expect((thrown as Error).cause).toMatchObject({ code: 'MODULE_NOT_FOUND' });
    expect(() =>
      defaultAjv(() => {
        throw Object.assign(new Error('x'), { code: 'ERR_MODULE_NOT_FOUND' });
      }),
    ).toThrow(expect.objectContaining({ code: 'RESIL_SANITIZE_PEER_MISSING' }));
  });

  it('not Ajv: RESIL_SANITIZE_PEER_MISSING; another load error passes through', () => {
    expect(() => defaultAjv(() => ({ default: 42 }))).toThrow(
      expect.objectContaining({ code: 'RESIL_SANITIZE_PEER_MISSING' }),
    );
    const boom = new SyntaxError('broken install');
    expect(() =>
      defaultAjv(() => {
        throw boom;
      }),
    ).toThrow(boom);
  });

  it('present: an Ajv instance from the module default export or the module itself, shared', () => {
    expect(typeof defaultAjv(() => ({ default: Ajv })).compile).toBe('function');
    expect(typeof defaultAjv(() => Ajv).compile).toBe('function');
    expect(defaultAjv()).toBe(defaultAjv());
    expect(defaultAjv(() => Ajv)).not.toBe(defaultAjv(() => Ajv));
  });
});

describe('validate: edges of the schema path', () => {
  const custom = (result: unknown) =>
    ({
      '~standard': { version: 1, vendor: 'test', validate: () => result },
    }) as never;

  it('problem bodies of the limits are exact; a Buffer body and nulls count as leaves', async () => {
    const deep = await request(appWith(validate(z.unknown(), { maxDepth: 1 })))
      .post('/')
      .send({ a: {} });
    expect(JSON.parse(deep.text)).toEqual({
      type: 'https://resil.dev/problems/too-deeply-nested',
      title: 'Request too deeply nested',
      status: 400,
      detail: 'Nesting deeper than 1 levels is not accepted.',
    });
    const wide = await request(appWith(validate(z.unknown(), { maxKeys: 2 })))
      .post('/')
      .send({ a: null, b: null, c: null });
    expect(JSON.parse(wide.text)).toEqual({
      type: 'https://resil.dev/problems/too-many-fields',
      title: 'Request has too many fields',
      status: 413,
      detail: 'More than 2 fields and items are not accepted.',
    });
    expect(
      (
        await request(appWith(validate(z.unknown(), { maxKeys: 2, maxDepth: 1 })))
          .post('/')
          .send({ a: null, b: null })
      ).status,
    ).toBe(200);
    const raw = express();
    raw.post(
      '/',
      express.raw({ type: '*/*' }),
      validate(z.unknown(), { maxKeys: 5 }),
      (req, res) => {
        res.json({ bytes: (req.body as Buffer).length });
      },
    );
    expect(
      (
        await request(raw)
          .post('/')
          .set('content-type', 'application/octet-stream')
          .send(Buffer.alloc(100))
      ).body,
    ).toEqual({ bytes: 100 });
  });

  it('a Standard Schema issue without a path names "", a path of { key } segments is joined', async () => {
    const r = await request(
      appWith(
        validate(
          custom({
            issues: [
              { message: 'whole body' },
              { message: 'deep', path: [{ key: 'a' }, { key: 0 }, 'b'] },
            ],
          }),
        ),
      ),
    )
      .post('/')
      .send({ a: [{ b: 1 }] });
    expect(JSON.parse(r.text).errors).toEqual([
      { field: '', message: 'whole body' },
      { field: 'a[0].b', message: 'deep' },
    ]);
  });

  it('messages: empty, not a string, over 200 characters, echoing a bigint → "Invalid value"', async () => {
    const app = express();
    app.use((req, _res, next) => {
      req.body = { n: 12345n, s: 'x' };
      next();
    });
    app.post(
      '/',
      validate(
        custom({
          issues: [
            { message: '', path: ['s'] },
            { message: 42, path: ['s'] },
            { message: 'm'.repeat(201), path: ['s'] },
            { message: 'm'.repeat(200), path: ['s'] },
            { message: 'n 12345 too big', path: ['n'] },
          ],
        }),
      ),
    );
    const r = await request(app).post('/');
    expect(JSON.parse(r.text).errors.map((e: { message: string }) => e.message)).toEqual([
      'Invalid value',
      'Invalid value',
      'Invalid value',
      'm'.repeat(200),
      'Invalid value',
    ]);
  });

  it('a short value counts as a whole word only: letters and digits join a word, others end it', async () => {
    const cases: Array<[unknown, string, string]> = [
      ['no', 'unknown, nothing', 'unknown, nothing'],
      ['no', 'unknown: no', 'Invalid value'],
      ['no', 'no', 'Invalid value'],
      [7, 'at most 17 items', 'at most 17 items'],
      [7, 'at most 7', 'Invalid value'],
      [7, '7 is too many', 'Invalid value'],
      [7, 'item7', 'item7'],
    ];
    for (const [value, message, shown] of cases) {
      const r = await request(appWith(validate(custom({ issues: [{ message, path: ['v'] }] }))))
        .post('/')
        .send({ v: value });
      expect([message, JSON.parse(r.text).errors[0].message]).toEqual([message, shown]);
    }
  });

  it('field paths: 100 characters kept whole, longer cut before a surrogate pair', async () => {
    const app = appWith(validate([], { exact: true }));
    const exact = `k${'a'.repeat(99)}`;
    const pair = `k${'a'.repeat(97)}\u{1F600}bbb`;
    const r = await request(app)
      .post('/')
      .send({ [exact]: 1, [pair]: 2 });
    expect(JSON.parse(r.text).errors).toEqual([
      { field: exact, message: 'Unknown field' },
      { field: `k${'a'.repeat(97)}\u2026`, message: 'Unknown field' },
    ]);
  });

  it('part: query defines a writable, enumerable, configurable own property', async () => {
    const app = express();
    app.get('/', validate(z.object({ q: z.string() }), { part: 'query' }), (req, res) => {
      const listed = Object.keys(req).includes('query'); // enumerable
      (req as { query: unknown }).query = { q: req.query.q, assigned: '1' }; // writable
      Object.defineProperty(req, 'query', { value: { ...req.query, redefined: '1' } }); // configurable
      res.json({ listed, query: req.query });
    });
    expect((await request(app).get('/?q=a&x=1')).body).toEqual({
      listed: true,
      query: { q: 'a', assigned: '1', redefined: '1' },
    });
  });

  it('option errors name the rule', () => {
    const message = (schema: unknown, options: unknown) => {
      try {
        validate(schema as never, options as never);
      } catch (err) {
        return [(err as { option?: string }).option, (err as Error).message];
      }
      return 'no error';
    };
    expect(message(patient, { exact: false })).toEqual([
      'exact',
      'validate: exact applies to chains; a schema says it itself (additionalProperties: false, z.strictObject)',
    ]);
    expect(message([], { part: 'body' })).toEqual([
      'part',
      'validate: part applies to a schema, not to chains',
    ]);
    expect(message([], { maxDepth: 3 })).toEqual([
      'maxDepth',
      'validate: maxDepth applies to a schema, not to chains',
    ]);
    expect(message(patient, { ajv: new Ajv() })).toEqual([
      'ajv',
      'validate: ajv applies to a JSON Schema, not to zod',
    ]);
    for (const ajv of [null, 'x', {}])
      expect(message(jsonSchema, { ajv })).toEqual([
        'ajv',
        'validate: ajv must be an Ajv 8 instance',
      ]);
    expect(message(jsonSchema, { ajv: new Ajv() })).toBe('no error');
    expect(message([], { exact: true })).toBe('no error');
  });
});
