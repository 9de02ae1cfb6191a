// The documented contract pinned precisely (issue #23, mutation testing): options and their
// validation, defaults, problem+json bodies, the header deny-list, scopes, what is collected from
// res.write/res.end/res.writeHead, store failures and their log lines, lease renewal, close().
import { CORE_ERROR_CODES } from '@resil/core';
import express from 'express';
import request from 'supertest';
import {
  DENIED_HEADERS,
  ERROR_CODES,
  type IdempotencyOptions,
  idempotency,
  idempotencyKeyFor,
  markExecuted,
  PROBLEM_TYPES,
} from '../../src';
import { appWith as app, callMiddleware, deferred, fakeRedis, post, warnLogger } from '../helpers';

describe('options', () => {
  it('accepts every documented option', () => {
    const mw = idempotency({
      methods: ['post'],
      required: false,
      scope: () => 's',
      keyPrefix: 'p:',
      ttlMs: 1000,
      leaseMs: 100,
      onConcurrent: 'wait',
      waitTimeoutMs: 0,
      storeStatus: () => true,
      maxBodyBytes: 0,
      excludeHeaders: ['x-a'],
      onStoreError: 'allow',
      commandTimeoutMs: 1,
      redisBackoffMs: 0,
      memoryMaxRecords: 1,
      memoryMaxBytes: 1024,
      logger: false,
      name: 'n',
    });
    expect(typeof mw).toBe('function');
    expect(typeof mw.close).toBe('function');
  });

  it.each([
    ['ttlMs', 1000],
    ['leaseMs', 100],
    ['waitTimeoutMs', 0],
    ['maxBodyBytes', 0],
    ['commandTimeoutMs', 1],
    ['redisBackoffMs', 0],
    ['memoryMaxRecords', 1],
    ['memoryMaxBytes', 1024],
  ] as const)(
    '%s: accepts its minimum %d, refuses one less and a non-integer with a RangeError naming it, a string with a TypeError',
    (name, min) => {
      expect(() => idempotency({ [name]: min })).not.toThrow();
      expect(() => idempotency({ [name]: min - 1 })).toThrow(
        new RangeError(`idempotency: ${name} must be an integer >= ${min}`),
      );
      expect(() => idempotency({ [name]: min + 0.5 })).toThrow(RangeError);
      expect(() => idempotency({ [name]: String(min) as never })).toThrow(
        new TypeError(`idempotency: ${name} must be an integer >= ${min}`),
      );
    },
  );

  it('refuses misconfiguration with a TypeError that names the option', () => {
    const cases: Array<[unknown, string]> = [
      [null, 'idempotency: options must be an object'],
      ['x', 'idempotency: options must be an object'],
      [{ tll: 1 }, 'idempotency: unknown option "tll"'],
      [{ onConcurrent: 5 }, "idempotency: onConcurrent must be one of 'reject', 'wait'"],
      [{ onStoreError: true }, "idempotency: onStoreError must be one of 'deny', 'allow'"],
      [{ required: 'yes' }, 'idempotency: required must be a boolean'],
      [{ scope: 'ip' }, 'idempotency: scope must be a function'],
      [{ storeStatus: 200 }, 'idempotency: storeStatus must be a function'],
      [
        { redis: {} },
        'idempotency: redis must be an ioredis Redis or Cluster, a node-redis client or cluster, or a URL',
      ],
      [
        { redis: null },
        'idempotency: redis must be an ioredis Redis or Cluster, a node-redis client or cluster, or a URL',
      ],
      [
        { redis: 5 },
        'idempotency: redis must be an ioredis Redis or Cluster, a node-redis client or cluster, or a URL',
      ],
      [{ keyPrefix: 5 }, 'idempotency: keyPrefix must be a string'],
      [{ name: 5 }, 'idempotency: name must be a string'],
      [
        { logger: { warn() {} } },
        'idempotency: logger must have debug, info, warn and error methods, or be false',
      ],
      [
        { waitForReplicas: { replicas: 1, timeoutMs: 10 } },
        'idempotency: waitForReplicas needs redis',
      ],
      [
        { waitForReplicas: null, redis: 'redis://127.0.0.1:1' },
        'idempotency: waitForReplicas must be { replicas, timeoutMs }',
      ],
      [
        { waitForReplicas: 3, redis: 'redis://127.0.0.1:1' },
        'idempotency: waitForReplicas must be { replicas, timeoutMs }',
      ],
      [
        { memoryMaxRecords: 5, redis: 'redis://127.0.0.1:1' },
        'idempotency: memoryMaxRecords and memoryMaxBytes apply to the memory store only (no redis)',
      ],
      [
        { memoryMaxBytes: 5000, redis: 'redis://127.0.0.1:1' },
        'idempotency: memoryMaxRecords and memoryMaxBytes apply to the memory store only (no redis)',
      ],
    ];
    for (const [options, message] of cases)
      expect(() => idempotency(options as IdempotencyOptions)).toThrow(new TypeError(message));
    // the right type outside the allowed set or form: a RangeError naming the option
    const ranges: Array<[unknown, string]> = [
      [{ onConcurrent: 'queue' }, "idempotency: onConcurrent must be one of 'reject', 'wait'"],
      [{ onStoreError: 'ignore' }, "idempotency: onStoreError must be one of 'deny', 'allow'"],
      [{ keyPrefix: 'a{b' }, 'idempotency: keyPrefix must be a string without { or }'],
    ];
    for (const [options, message] of ranges)
      expect(() => idempotency(options as IdempotencyOptions)).toThrow(new RangeError(message));
    expect(() =>
      idempotency({
        redis: 'redis://127.0.0.1:1',
        waitForReplicas: { replicas: 0, timeoutMs: 10 },
      }),
    ).toThrow(new RangeError('idempotency: waitForReplicas.replicas must be an integer >= 1'));
    expect(() =>
      idempotency({
        redis: 'redis://127.0.0.1:1',
        waitForReplicas: { replicas: 1, timeoutMs: 0 },
      }),
    ).toThrow(new RangeError('idempotency: waitForReplicas.timeoutMs must be an integer >= 1'));
  });

  it('no options at all is the defaults', async () => {
    const a = express();
    a.use(express.json());
    const mw = idempotency();
    a.use(mw);
    a.post('/h', (_req, res) => {
      res.status(201).send('ok');
    });
    expect((await post(a)).status).toBe(400);
    expect((await post(a, 'd1')).status).toBe(201);
    expect((await post(a, 'd1')).headers['idempotent-replayed']).toBe('true');
    await mw.close();
  });
});

describe('problem+json answers', () => {
  it('each answer has its documented type, title, status and detail, and no input in it', async () => {
    const { promise: inHandler, resolve: entered } = deferred();
    const { promise: held, resolve: hold } = deferred();
    const { app: a } = app({ maxBodyBytes: 1 }, async (req, res) => {
      if (req.body.hold) {
        entered();
        await held;
      }
      res.status(201).send('too big');
    });
    const expectProblem = (
      r: request.Response,
      status: number,
      type: string,
      title: string,
      detail: string,
    ) => {
      expect(r.status).toBe(status);
      expect(r.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect(JSON.parse(r.text)).toEqual({ type, title, status, detail });
    };
    expectProblem(
      await post(a),
      400,
      PROBLEM_TYPES.MISSING_KEY,
      'Idempotency-Key required',
      'POST requests need an Idempotency-Key header.',
    );
    expectProblem(
      await post(a, 'bad key'),
      400,
      PROBLEM_TYPES.INVALID_KEY,
      'Invalid Idempotency-Key',
      'The Idempotency-Key must be 1 to 255 printable ASCII characters, bare or as a quoted string.',
    );
    await post(a, 'p1', { a: 1 });
    expectProblem(
      await post(a, 'p1', { a: 2 }),
      422,
      PROBLEM_TYPES.MISMATCH,
      'Idempotency-Key reused',
      'This Idempotency-Key was used with a different request (method, path or body).',
    );
    expectProblem(
      await post(a, 'p1', { a: 1 }),
      409,
      PROBLEM_TYPES.NOT_REPLAYABLE,
      'Response not kept',
      'The request with this Idempotency-Key was completed, but its response was too large to keep; it was not run again.',
    );
    const first = post(a, 'p2', { hold: true }).then((r) => r);
    await inHandler;
    const busy = await post(a, 'p2', { hold: true });
    expectProblem(
      busy,
      409,
      PROBLEM_TYPES.IN_PROGRESS,
      'Request in progress',
      'A request with this Idempotency-Key is still being processed; retry later with the same key.',
    );
    expect(busy.headers['retry-after']).toBe('5'); // 30 s lease left, capped at 5
    hold();
    await first;
    const unparsed = await request(a)
      .post('/h')
      .set('Idempotency-Key', 'p3')
      .set('Content-Type', 'application/x-unknown')
      .send('x=1');
    expectProblem(
      unparsed,
      415,
      PROBLEM_TYPES.BODY_UNPARSED,
      'Request body not parsed',
      'This request body cannot be checked against the Idempotency-Key; nothing was run.',
    );
  });

  it('the problem types are the documented URIs', () => {
    expect(PROBLEM_TYPES).toEqual({
      MISSING_KEY: 'https://resil.dev/problems/idempotency-key-missing',
      INVALID_KEY: 'https://resil.dev/problems/idempotency-key-invalid',
      MISMATCH: 'https://resil.dev/problems/idempotency-key-reused',
      IN_PROGRESS: 'https://resil.dev/problems/idempotency-key-in-progress',
      NOT_REPLAYABLE: 'https://resil.dev/problems/idempotency-response-not-kept',
      STORE_UNAVAILABLE: 'https://resil.dev/problems/idempotency-store-unavailable',
      BODY_UNPARSED: 'https://resil.dev/problems/idempotency-body-unparsed',
    });
    expect(Object.isFrozen(PROBLEM_TYPES)).toBe(true);
    expect(ERROR_CODES).toEqual({
      STORE_FULL: 'RESIL_IDEMPOTENCY_STORE_FULL',
      NOT_REPLICATED: 'RESIL_IDEMPOTENCY_NOT_REPLICATED',
      NO_REPLY: 'RESIL_IDEMPOTENCY_NO_REPLY',
      UNKNOWN_KEY_ID: 'RESIL_IDEMPOTENCY_UNKNOWN_KEY_ID',
      DECRYPT_FAILED: 'RESIL_IDEMPOTENCY_DECRYPT_FAILED',
      IN_PROGRESS: 'RESIL_IDEMPOTENCY_IN_PROGRESS',
      MISMATCH: 'RESIL_IDEMPOTENCY_MISMATCH',
      NOT_REPLAYABLE: 'RESIL_IDEMPOTENCY_NOT_REPLAYABLE',
    });
  });
});

describe('methods, required, keys', () => {
  it('methods are matched case-insensitively; other methods and required:false pass untouched', async () => {
    const { app: a, runs } = app({ methods: ['put'], required: false });
    await request(a).put('/h').set('Idempotency-Key', 'm').send({});
    const again = await request(a).put('/h').set('Idempotency-Key', 'm').send({});
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect((await post(a, 'm')).headers['idempotent-replayed']).toBeUndefined(); // POST not listed
    expect((await request(a).put('/h').send({})).status).toBe(201); // no key, not required
    expect(runs.n).toBe(3);
    const defaults = app();
    expect((await request(defaults.app).patch('/h').send({})).status).toBe(400);
    expect((await request(defaults.app).put('/h').send({})).status).toBe(201);
  });

  it('idempotencyKeyFor: the same 32 hex characters for the same scope and key, undefined without a key', async () => {
    const seen: Array<string | undefined> = [];
    const a = express();
    a.use(express.json());
    a.post('/free', (req, res) => {
      seen.push(idempotencyKeyFor(req), idempotencyKeyFor(req, 'tenant-1'));
      res.end();
    });
    a.use(idempotency({ logger: false, scope: () => 'tenant-1' }));
    a.post('/h', (req, res) => {
      seen.push(idempotencyKeyFor(req), idempotencyKeyFor(req, 'tenant-1'));
      res.end();
    });
    await request(a).post('/free').set('Idempotency-Key', 'k').send({});
    await request(a).post('/free').send({});
    await request(a).post('/h').set('Idempotency-Key', 'k').send({});
    const [freeDefault, freeScoped, none, noneScoped, inMw, inMwScoped] = seen;
    expect(freeScoped).toMatch(/^[0-9a-f]{32}$/);
    expect(inMw).toBe(freeScoped); // the middleware's scope
    expect(inMwScoped).toBe(freeScoped);
    expect(freeDefault).toMatch(/^[0-9a-f]{32}$/);
    expect(freeDefault).not.toBe(freeScoped); // default scope is the client IP
    expect(none).toBeUndefined();
    expect(noneScoped).toBeUndefined();
  });
});

describe('scopes', () => {
  it('default scope: req.user.id (string or number) when set, else the client IP', async () => {
    const a = express();
    a.use(express.json());
    a.use((req, _res, next) => {
      const u = req.get('X-User');
      if (u !== undefined)
        (req as { user?: unknown }).user = { id: u.startsWith('n') ? Number(u.slice(1)) : u };
      if (req.get('X-Bad-User')) (req as { user?: unknown }).user = { id: { x: 1 } };
      next();
    });
    a.use(idempotency({ logger: false }));
    let runs = 0;
    a.post('/h', (_req, res) => {
      runs++;
      res.status(201).json({ runs });
    });
    const send = (headers: Record<string, string>) =>
      request(a).post('/h').set('Idempotency-Key', 'same').set(headers).send({});
    expect((await send({ 'X-User': 'alice' })).body.runs).toBe(1);
    expect((await send({ 'X-User': 'alice' })).body.runs).toBe(1); // replay
    expect((await send({ 'X-User': 'bob' })).body.runs).toBe(2);
    expect((await send({ 'X-User': 'n7' })).body.runs).toBe(3);
    expect((await send({ 'X-User': 'n7' })).body.runs).toBe(3);
    expect((await send({})).body.runs).toBe(4); // by IP
    expect((await send({ 'X-Bad-User': '1' })).body.runs).toBe(4); // id not usable: by IP, replay
  });

  it('a scope function that returns undefined falls back to the default scope', async () => {
    const { app: a, runs } = app({ scope: () => undefined });
    await post(a, 's1');
    expect((await post(a, 's1')).headers['idempotent-replayed']).toBe('true');
    expect(runs.n).toBe(1);
  });
});

describe('what is stored', () => {
  it('the built-in deny-list is the documented one', () => {
    expect([...DENIED_HEADERS]).toEqual([
      'set-cookie',
      'date',
      'connection',
      'keep-alive',
      'transfer-encoding',
      'upgrade',
      'te',
      'trailer',
      'proxy-authenticate',
      'proxy-authorization',
      'proxy-connection',
      'authorization',
      'www-authenticate',
      'content-length',
      'idempotent-replayed',
      'ratelimit',
      'ratelimit-policy',
      'retry-after',
      'x-request-id',
      'traceparent',
      'tracestate',
      'server-timing',
    ]);
    expect(Object.isFrozen(DENIED_HEADERS)).toBe(true);
  });

  it('denied and excluded headers are not replayed; others are, multi-valued ones included', async () => {
    const settable = DENIED_HEADERS.filter(
      (h) =>
        ![
          'connection',
          'keep-alive',
          'transfer-encoding',
          'upgrade',
          'te',
          'trailer',
          'date',
        ].includes(h) && h !== 'content-length',
    );
    const { app: a } = app({ excludeHeaders: ['X-Secret'] }, (_req, res) => {
      for (const h of settable) res.setHeader(h, 'v');
      res.setHeader('X-Secret', 's');
      res.setHeader('X-Kept', ['a', 'b']);
      res.setHeader('X-Num', 5);
      res.status(201).send('body');
    });
    await post(a, 'h1');
    const replay = await post(a, 'h1');
    expect(replay.headers['idempotent-replayed']).toBe('true');
    for (const h of settable)
      if (h !== 'idempotent-replayed') expect([h, replay.headers[h]]).toEqual([h, undefined]);
    expect(replay.headers['x-secret']).toBeUndefined();
    expect(replay.headers['x-kept']).toBe('a, b');
    expect(replay.headers['x-num']).toBe('5');
    expect(replay.headers['content-length']).toBe('4');
    expect(replay.text).toBe('body');
  });

  it('collects what res.write and res.end carry: strings in any encoding, Buffers, Uint8Arrays', async () => {
    const { app: a } = app({}, (_req, res) => {
      res.status(200);
      res.setHeader('Content-Type', 'application/octet-stream');
      res.write('6869', 'hex');
      res.write(Buffer.from([0x20]));
      res.write(new Uint8Array([0x21]), () => {});
      res.write('aGk=', 'base64');
      res.end('é', 'latin1', () => {});
    });
    const first = await post(a, 'c1');
    const replay = await post(a, 'c1');
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(Buffer.from(replay.body).equals(Buffer.from(first.body))).toBe(true);
    expect(Buffer.from(replay.body)).toEqual(
      Buffer.from([0x68, 0x69, 0x20, 0x21, 0x68, 0x69, 0xe9]),
    );
  });

  it('res.end(callback) and res.end() with no body: an empty body is stored', async () => {
    const { app: a } = app({}, (_req, res) => {
      res.status(204);
      res.end(() => {});
    });
    await post(a, 'e1');
    const replay = await post(a, 'e1');
    expect(replay.status).toBe(204);
    expect(replay.headers['idempotent-replayed']).toBe('true');
  });

  it('a body of exactly maxBodyBytes is kept; one byte more is not', async () => {
    let size = 10;
    const { app: a, runs } = app({ maxBodyBytes: 10 }, (_req, res) => {
      runs.n++;
      res.status(201).send('x'.repeat(size));
    });
    await post(a, 'b10');
    expect((await post(a, 'b10')).text).toBe('x'.repeat(10));
    size = 11;
    await post(a, 'b11');
    expect((await post(a, 'b11')).status).toBe(409);
    expect(runs.n).toBe(2);
  });

  it('the default maxBodyBytes is 1 MiB', async () => {
    let size = 1024 * 1024;
    const { app: a } = app({}, (_req, res) => {
      res.status(201).send(Buffer.alloc(size, 0x61));
    });
    await post(a, 'mib');
    expect((await post(a, 'mib')).body.length).toBe(1024 * 1024);
    size++;
    await post(a, 'mib+1');
    expect((await post(a, 'mib+1')).status).toBe(409);
  });

  it('writeHead: a reason phrase, headers as an object or a flat array are stored; an odd array is refused by Node', async () => {
    const { app: a } = app({}, (req, res) => {
      const form = req.body.form;
      if (form === 'reason') res.writeHead(201, 'Made', { 'X-A': '1' });
      else if (form === 'array') {
        res.setHeader('X-B', 'old');
        res.writeHead(201, ['X-B', 'new', 'X-C', 'c1', 'X-C', 'c2']);
      } else if (form === 'plain') res.writeHead(202);
      else if (form === 'odd') {
        try {
          res.writeHead(201, ['X-D']);
        } catch {
          res.statusCode = 418; // Node refused it
        }
      }
      res.end('w');
    });
    const send = (key: string, form: string) =>
      request(a).post('/h').set('Idempotency-Key', key).send({ form });
    await send('w1', 'reason');
    const r1 = await send('w1', 'reason');
    expect([r1.status, r1.headers['x-a'], r1.headers['idempotent-replayed']]).toEqual([
      201,
      '1',
      'true',
    ]);
    const first2 = await send('w2', 'array');
    expect(first2.headers['x-b']).toBe('new');
    const r2 = await send('w2', 'array');
    expect([r2.headers['x-b'], r2.headers['x-c']]).toEqual(['new', 'c1, c2']);
    await send('w3', 'plain');
    expect((await send('w3', 'plain')).status).toBe(202);
    const odd = await send('w4', 'odd');
    expect(odd.status).toBe(418);
  });
});

describe('store failures', () => {
  it('memory store full of claims: 503 with Retry-After 1 (deny), logged once with the code; logged again when it recovers; allow runs unprotected', async () => {
    for (const onStoreError of ['deny', 'allow'] as const) {
      const warnings: Array<[string, Record<string, unknown> | undefined]> = [];
      let release: () => void = () => {};
      let entered: () => void = () => {};
      const inHandler = new Promise<void>((r) => {
        entered = r;
      });
      let runs = 0;
      const a = express();
      a.use(express.json());
      a.use(
        idempotency({
          memoryMaxRecords: 1,
          onStoreError,
          logger: warnLogger((m, meta) => warnings.push([m, meta])),
        }),
      );
      a.post('/h', async (req, res) => {
        runs++;
        if (req.body.hold) {
          entered();
          await new Promise<void>((r) => {
            release = r;
          });
        }
        res.status(201).json({ runs });
      });
      const holder = post(a, 'holder', { hold: true }).then((r) => r);
      await inHandler;
      const refused = await post(a, 'other');
      const refused2 = await post(a, 'other2');
      if (onStoreError === 'deny') {
        expect(refused.status).toBe(503);
        expect(refused.headers['retry-after']).toBe('1');
        expect(JSON.parse(refused.text)).toMatchObject({
          type: PROBLEM_TYPES.STORE_UNAVAILABLE,
          title: 'Service Unavailable',
          detail: 'Idempotency records are unavailable; retry with the same key shortly.',
        });
        expect(refused2.status).toBe(503);
        expect(runs).toBe(1);
      } else {
        expect(refused.status).toBe(201);
        expect(refused2.status).toBe(201);
        expect(runs).toBe(3);
      }
      expect(warnings).toEqual([
        [
          'idempotency: store unavailable',
          { event: 'store-unavailable', onStoreError, code: ERROR_CODES.STORE_FULL },
        ],
      ]);
      release();
      await holder;
      expect((await post(a, 'after')).status).toBe(201);
      expect(warnings[1]).toEqual([
        'idempotency: store available again',
        { event: 'store-available' },
      ]);
      expect(warnings).toHaveLength(2);
    }
  });

  it('a store error is logged with its code only (a client that is not connected: RESIL_CORE_REDIS_UNAVAILABLE)', async () => {
    const warnings: Array<Record<string, unknown> | undefined> = [];
    const notReady = fakeRedis({ status: 'end' }).client;
    const a = express();
    a.use(express.json());
    a.use(
      idempotency({
        redis: notReady as never,
        logger: warnLogger((_m, meta) => warnings.push(meta)),
      }),
    );
    a.post('/h', (_req, res) => {
      res.end();
    });
    expect((await post(a, 'x')).status).toBe(503);
    expect(warnings).toEqual([
      {
        event: 'store-unavailable',
        onStoreError: 'deny',
        code: CORE_ERROR_CODES.REDIS_UNAVAILABLE,
      },
    ]);
  });

  it('a body no parser read is logged once (method only) and answered 415', async () => {
    const warnings: Array<[string, unknown]> = [];
    const a = express();
    a.use(idempotency({ logger: warnLogger((m, meta) => warnings.push([m, meta])) }));
    a.post('/h', (_req, res) => {
      res.end();
    });
    for (const key of ['u1', 'u2'])
      expect(
        (
          await request(a)
            .post('/h')
            .set('Idempotency-Key', key)
            .set('Content-Type', 'text/plain')
            .send('x')
        ).status,
      ).toBe(415);
    expect(warnings).toEqual([
      [
        'idempotency: a request body was not parsed before the middleware (register the body parser first); answered 415',
        { event: 'body-unparsed', method: 'POST' },
      ],
    ]);
    // no body, or Content-Length 0: nothing to parse
    expect((await request(a).post('/h').set('Idempotency-Key', 'u3')).status).toBe(200);
    expect(
      (await request(a).post('/h').set('Idempotency-Key', 'u4').set('Content-Length', '0')).status,
    ).toBe(200);
  });
});

describe('concurrency and leases', () => {
  it("onConcurrent 'wait' with waitTimeoutMs 0 answers 409 at once", async () => {
    const { promise: inHandler, resolve: entered } = deferred();
    const { promise: released, resolve: release } = deferred();
    const { app: a } = app({ onConcurrent: 'wait', waitTimeoutMs: 0 }, async (_req, res) => {
      entered();
      await released;
      res.status(201).end();
    });
    const first = post(a, 'w0').then((r) => r);
    await inHandler;
    const second = await post(a, 'w0');
    expect(second.status).toBe(409);
    release();
    expect((await first).status).toBe(201);
  });

  it('the lease is renewed every leaseMs / 3 while the handler runs (fake clock); stopped by the answer and by close()', async () => {
    jest.useFakeTimers();
    try {
      const mw = idempotency({ logger: false, leaseMs: 300 });
      const call = (key: string) => {
        const c = callMiddleware(mw, key);
        return { ran: c.done, res: c.res, status: () => c.out.status, next: () => c.out.next };
      };
      const first = call('lease');
      await first.ran;
      expect(first.next()).toBe(true);
      for (let i = 0; i < 10; i++) await jest.advanceTimersByTimeAsync(100); // 1 s = 3+ leases
      const second = call('lease');
      await second.ran;
      expect(second.status()).toBe(409); // still held: renewed
      first.res.statusCode = 201;
      first.res.end();
      await jest.advanceTimersByTimeAsync(0);
      const third = call('lease');
      await third.ran;
      expect([third.next(), third.status()]).toEqual([false, 201]); // the stored answer
      // close() stops renewals: the claim of a handler still running expires after its lease
      const held = call('closing');
      await held.ran;
      await mw.close();
      await jest.advanceTimersByTimeAsync(301);
      const after = call('closing');
      await after.ran;
      expect(after.next()).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('logger', () => {
  it("@resil/safe-log's SafeLogger is taken as it is (the package itself imports no logger library)", async () => {
    const { SafeLogger } = await import('@resil/safe-log');
    const mw = idempotency({ logger: new SafeLogger('resil.idempotency') });
    expect(typeof mw).toBe('function');
    await mw.close();
  });

  it('the default writes one JSON line with the event name and codes only: no message, key or body', async () => {
    const lines: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation(((chunk: unknown) => {
      lines.push(String(chunk));
      return true;
    }) as typeof process.stderr.write);
    try {
      const a = express();
      a.use(idempotency()); // no body parser: a body gets 415, logged once
      a.post('/h', (_req, res) => {
        res.end();
      });
      const r = await request(a)
        .post('/h')
        .set('Idempotency-Key', 'patient-key-4711')
        .set('Content-Type', 'text/plain')
        .send('Jane Doe');
      expect(r.status).toBe(415);
    } finally {
      spy.mockRestore();
    }
    const logged = lines.filter((l) => l.includes('resil.idempotency'));
    expect(logged.map((l) => JSON.parse(l))).toEqual([
      { level: 'warn', logger: 'resil.idempotency', event: 'body-unparsed' },
    ]);
  });
});

describe('markExecuted', () => {
  it('has no effect outside the middleware', () => {
    const req = {} as express.Request;
    expect(() => markExecuted(req)).not.toThrow();
  });
});
