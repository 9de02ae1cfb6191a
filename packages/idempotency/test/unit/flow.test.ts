// The request flow pinned where the memory store cannot reach it (issue #23, mutation testing of
// src/middleware.ts): a stand-in Redis client answers the store's scripts as a test needs (a
// claim in progress with a given lease left, a stored record, a lost lease, a failing store, too
// few replicas), and a fake clock pins the polling of onConcurrent 'wait' and the lease renewal.
import { createHash } from 'node:crypto';
import { CORE_ERROR_CODES } from '@resil/core';
import express from 'express';
import request from 'supertest';
import {
  ERROR_CODES,
  type IdempotencyOptions,
  idempotency,
  idempotencyKeyFor,
  markExecuted,
  PROBLEM_TYPES,
} from '../../src';
import { appWith, callMiddleware as call, fakeRedis, post, recorder, replyError } from '../helpers';

/** The fingerprint argument of a claim, to answer "running" or "done" for the same request. */
const fpOf = (a: unknown[]) => a[2] as string;
const running = (pttl: number) => (a: unknown[]) => [
  'running',
  fpOf(a),
  '',
  '',
  '',
  '',
  String(pttl),
];

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('409 while the first request runs', () => {
  it('Retry-After is the lease left in whole seconds, rounded up, between 1 and 5', async () => {
    const cases: Array<[number, string]> = [
      [-2, '1'],
      [0, '1'],
      [1, '1'],
      [1000, '1'],
      [1001, '2'],
      [2500, '3'],
      [4000, '4'],
      [4001, '5'],
      [5001, '5'],
      [30_000, '5'],
    ];
    for (const [pttl, retryAfter] of cases) {
      const { client } = fakeRedis({ claim: running(pttl) });
      const { app: a, runs } = appWith({ redis: client as never });
      const r = await post(a, `ra${pttl}`);
      expect([pttl, r.status, r.headers['retry-after']]).toEqual([pttl, 409, retryAfter]);
      expect(JSON.parse(r.text)).toEqual({
        type: PROBLEM_TYPES.IN_PROGRESS,
        title: 'Request in progress',
        status: 409,
        detail:
          'A request with this Idempotency-Key is still being processed; retry later with the same key.',
      });
      expect(runs.n).toBe(0);
    }
  });

  it("'wait' polls every 50 ms until the deadline, then answers 409 (fake clock)", async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    try {
      const { client, calls } = fakeRedis({ claim: running(30_000) });
      const mw = idempotency({
        redis: client as never,
        onConcurrent: 'wait',
        waitTimeoutMs: 120,
        logger: false,
      });
      const c = call(mw, 'poll');
      await jest.advanceTimersByTimeAsync(0);
      expect(calls.claim).toHaveLength(1);
      await jest.advanceTimersByTimeAsync(49);
      expect(calls.claim).toHaveLength(1);
      await jest.advanceTimersByTimeAsync(1);
      expect(calls.claim).toHaveLength(2); // t = 50
      await jest.advanceTimersByTimeAsync(50);
      expect(calls.claim).toHaveLength(3); // t = 100
      await jest.advanceTimersByTimeAsync(19);
      expect([calls.claim.length, c.out.answered]).toEqual([3, false]);
      await jest.advanceTimersByTimeAsync(1); // t = 120: the last pause is what was left
      await c.done;
      expect([calls.claim.length, c.out.status, c.out.next]).toEqual([4, 409, false]);
      // waitTimeoutMs 0: one claim, answered at once
      const mw0 = idempotency({
        redis: client as never,
        onConcurrent: 'wait',
        waitTimeoutMs: 0,
        logger: false,
      });
      const c0 = call(mw0, 'poll0');
      await jest.advanceTimersByTimeAsync(0);
      await c0.done;
      expect([calls.claim.length, c0.out.status]).toEqual([5, 409]);
    } finally {
      jest.useRealTimers();
    }
  });

  it("'wait' replays the stored answer as soon as a poll finds it", async () => {
    let n = 0;
    const stored = Buffer.from('{"run":1}').toString('base64');
    const { client, calls } = fakeRedis({
      claim: (a: unknown[]) =>
        ++n < 3
          ? running(30_000)(a)
          : ['done', fpOf(a), '201', '{"content-type":"application/json"}', stored, '0', '9'],
    });
    const { app: a, runs } = appWith({ redis: client as never, onConcurrent: 'wait' });
    const started = Date.now();
    const r = await post(a, 'pollreplay');
    expect(Date.now() - started).toBeGreaterThanOrEqual(95); // two pauses of 50 ms
    expect([r.status, r.text, r.headers['idempotent-replayed']]).toEqual([
      201,
      '{"run":1}',
      'true',
    ]);
    expect(calls.claim).toHaveLength(3);
    expect(runs.n).toBe(0);
  });
});

describe('replay of a stored record', () => {
  it('status, headers (multi-valued too) and body as stored, with Idempotent-Replayed; an omitted body is 409', async () => {
    const headers = JSON.stringify({
      'x-a': '1',
      'x-multi': ['a', 'b'],
      'content-type': 'text/plain',
    });
    const body = Buffer.from('hello').toString('base64');
    const { client } = fakeRedis({
      claim: (a: unknown[]) => ['done', fpOf(a), '202', headers, body, '0', '100'],
    });
    const { app: a, runs } = appWith({ redis: client as never });
    const r = await post(a, 'stored');
    expect([r.status, r.text, r.headers['x-a'], r.headers['x-multi']]).toEqual([
      202,
      'hello',
      '1',
      'a, b',
    ]);
    expect(r.headers['idempotent-replayed']).toBe('true');
    expect(runs.n).toBe(0);
    const omitted = fakeRedis({
      claim: (x: unknown[]) => ['done', fpOf(x), '201', '', '', '1', '100'],
    });
    const r2 = await post(appWith({ redis: omitted.client as never }).app, 'omitted');
    expect(r2.status).toBe(409);
    expect(r2.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(r2.headers['idempotent-replayed']).toBeUndefined();
    expect(JSON.parse(r2.text)).toEqual({
      type: PROBLEM_TYPES.NOT_REPLAYABLE,
      title: 'Response not kept',
      status: 409,
      detail:
        'The request with this Idempotency-Key was completed, but its response was too large to keep; it was not run again.',
    });
  });

  it('another fingerprint under the same key is 422, whatever the record state', async () => {
    for (const claim of [
      () => ['running', 'other', '', '', '', '', '1000'],
      () => ['done', 'other', '201', '', '', '0', '1000'],
    ]) {
      const { client } = fakeRedis({ claim });
      const { app: a, runs } = appWith({ redis: client as never });
      const r = await post(a, 'fp');
      expect(r.status).toBe(422);
      expect(JSON.parse(r.text).type).toBe(PROBLEM_TYPES.MISMATCH);
      expect(runs.n).toBe(0);
    }
  });

  it('the fingerprint covers the method, the path with its sorted query, and the canonical body', async () => {
    const { client, calls } = fakeRedis();
    const a = express();
    a.use(express.json());
    a.use(idempotency({ redis: client as never, logger: false, methods: ['POST', 'PUT'] }));
    a.all('/h', (_req, res) => {
      res.status(201).end();
    });
    await request(a)
      .post('/h?b=2&a=1')
      .set('Idempotency-Key', 'f')
      .send({ y: 1, x: [1, null] });
    await request(a).put('/h').set('Idempotency-Key', 'f');
    expect(calls.claim[0]?.[2]).toBe(sha('POST /h?a=1&b=2\n{"x":[1,null],"y":1}'));
    expect(calls.claim[1]?.[2]).toBe(sha('PUT /h\nnull'));
  });

  it('a request without a body has one fingerprint whether the parser left undefined (Express 5) or {} (Express 4)', async () => {
    const { client, calls } = fakeRedis();
    const a = express();
    a.use(express.json());
    // Express 4's body-parser sets req.body = {} on every request it sees, with a body or not.
    a.use((req, _res, next) => {
      req.body ??= {};
      next();
    });
    a.use(idempotency({ redis: client as never, logger: false, methods: ['POST'] }));
    a.post('/h', (_req, res) => {
      res.status(201).end();
    });
    await request(a).post('/h').set('Idempotency-Key', 'a');
    await request(a).post('/h').set('Idempotency-Key', 'b').send({});
    expect(calls.claim[0]?.[2]).toBe(sha('POST /h\nnull'));
    expect(calls.claim[1]?.[2]).toBe(sha('POST /h\n{}'));
  });
});

describe('after the handler answers', () => {
  it('the record is written once, by the claim owner, with the status, kept headers, body and ttlMs', async () => {
    const { client, calls } = fakeRedis();
    const { app: a } = appWith(
      { redis: client as never, ttlMs: 5000, keyPrefix: 'kp:', scope: () => 's' },
      (_req, res) => {
        res.setHeader('X-Kept', 'k');
        res.setHeader('Set-Cookie', 's=1');
        res.status(201).end('done');
        res.end(); // a second end() changes nothing
      },
    );
    const r = await post(a, 'once');
    expect([r.status, r.text]).toEqual([201, 'done']);
    expect(calls.complete).toHaveLength(1);
    const [key, owner, status, headers, body, omitted, ttl] = calls.complete[0] ?? [];
    expect(key).toBe(`kp:{idem:${sha('s\nonce')}}`);
    expect(owner).toBe(calls.claim[0]?.[1]);
    expect(owner).toMatch(/^[0-9a-f-]{36}$/);
    expect([status, JSON.parse(headers as string), body, omitted, ttl]).toEqual([
      201,
      { 'x-powered-by': 'Express', 'x-kept': 'k' },
      Buffer.from('done').toString('base64'),
      '0',
      5000,
    ]);
    expect(calls.claim[0]?.[3]).toBe(30_000); // the default leaseMs
    expect(calls.release).toHaveLength(0);
    // a different owner for every request
    await post(a, 'once2');
    expect(calls.claim[1]?.[1]).not.toBe(owner);
  });

  it('a lost lease, a store failure, a failed release and too few replicas are logged with the status, an event and a code only (no key, no body)', async () => {
    const cases: Array<
      [Parameters<typeof fakeRedis>[0], number, string, Partial<IdempotencyOptions>, object]
    > = [
      [
        { complete: 0 },
        201,
        'idempotency: the lease was lost before the response was stored (the store lost the claim)',
        {},
        { event: 'lease-lost' },
      ],
      [
        { complete: new Error('down') },
        201,
        'idempotency: could not store the response; a retry after the lease may run again',
        {},
        { event: 'store-failed', code: CORE_ERROR_CODES.REDIS_FAILED },
      ],
      [
        { release: new Error('down') },
        500,
        'idempotency: could not release the key; a retry gets 409 until the lease ends',
        {},
        { event: 'release-failed', code: CORE_ERROR_CODES.REDIS_FAILED },
      ],
      [
        { acks: [1, 0] },
        201,
        'idempotency: the response was stored but not acknowledged by enough replicas',
        { waitForReplicas: { replicas: 1, timeoutMs: 20 } },
        { event: 'not-replicated', code: ERROR_CODES.NOT_REPLICATED },
      ],
    ];
    for (const [replies, status, message, over, meta] of cases) {
      const log = recorder();
      const { client } = fakeRedis(replies);
      const { app: a } = appWith(
        { redis: client as never, logger: log.logger, ...over },
        (_req, res) => {
          res.status(status).send('secret body');
        },
      );
      const logged = log.next();
      const r = await post(a, 'log', { patient: 'secret' });
      expect(r.status).toBe(status);
      await logged;
      expect(log.lines).toEqual([[message, { ...meta, status }]]);
    }
  });

  it('a release that finds the claim gone (a 5xx, or a 4xx without the mark) is not logged', async () => {
    for (const status of [500, 400]) {
      const log = recorder();
      let released: () => void = () => {};
      const settled = new Promise<void>((r) => {
        released = r;
      });
      const { client, calls } = fakeRedis({
        release: () => {
          released();
          return 0;
        },
      });
      const { app: a } = appWith({ redis: client as never, logger: log.logger }, (_req, res) => {
        res.status(status).end();
      });
      expect((await post(a, `rel${status}`)).status).toBe(status);
      await settled;
      await new Promise((r) => setImmediate(r));
      expect([calls.release.length, calls.complete.length, log.lines]).toEqual([1, 0, []]);
    }
  });

  it('a 4xx marked executed is stored; storeStatus still decides', async () => {
    const { client, calls } = fakeRedis();
    const { app: a } = appWith(
      { redis: client as never, storeStatus: (s) => s !== 409 },
      (req, res) => {
        markExecuted(req);
        res.status(req.body.s).end();
      },
    );
    await post(a, 'm1', { s: 404 });
    await post(a, 'm2', { s: 409 });
    expect(calls.complete.map((c) => c[2])).toEqual([404]);
    expect(calls.release).toHaveLength(1);
  });
});

describe('waitForReplicas', () => {
  it('the claim and the completion each run with WAIT replicas timeoutMs; without the option, no WAIT', async () => {
    const opt = { replicas: 2, timeoutMs: 30 };
    const { client, calls } = fakeRedis({ acks: [2, 2] });
    const { app: a } = appWith({ redis: client as never, waitForReplicas: opt });
    opt.replicas = 9; // the middleware keeps its own copy
    const r = await post(a, 'wr');
    expect(r.status).toBe(201);
    await new Promise((res) => setImmediate(res));
    expect(calls.wait).toEqual([
      [2, 30],
      [2, 30],
    ]);
    const plain = fakeRedis();
    await post(appWith({ redis: plain.client as never }).app, 'nw');
    expect(plain.calls.pipelines).toBe(0);
  });

  it('a claim too few replicas acknowledged is released and answered 503 (deny) or run (allow)', async () => {
    for (const onStoreError of ['deny', 'allow'] as const) {
      const { client, calls } = fakeRedis({ acks: [0] });
      const { app: a, runs } = appWith({
        redis: client as never,
        onStoreError,
        waitForReplicas: { replicas: 1, timeoutMs: 20 },
      });
      const r = await post(a, 'nr');
      expect(r.status).toBe(onStoreError === 'deny' ? 503 : 201);
      expect(calls.release).toHaveLength(1);
      expect(runs.n).toBe(onStoreError === 'deny' ? 0 : 1);
    }
  });
});

describe('lease renewal (fake clock)', () => {
  it('every leaseMs / 3, at least every 50 ms, with the claim owner; the timer does not hold the process', async () => {
    const intervals: NodeJS.Timeout[] = [];
    const real = global.setInterval;
    jest.useFakeTimers();
    const fakeSetInterval = global.setInterval;
    const spy = jest.spyOn(global, 'setInterval').mockImplementation(((
      fn: () => void,
      ms: number,
    ) => {
      const t = fakeSetInterval(fn, ms);
      intervals.push(t);
      return t;
    }) as typeof setInterval);
    try {
      for (const [leaseMs, renewals] of [
        [300, 10],
        [100, 20],
      ] as const) {
        const { client, calls } = fakeRedis();
        const mw = idempotency({ redis: client as never, leaseMs, logger: false });
        const c = call(mw, `renew${leaseMs}`);
        await c.done;
        expect(c.out.next).toBe(true);
        await jest.advanceTimersByTimeAsync(1000);
        expect([leaseMs, calls.renew.length]).toEqual([leaseMs, renewals]);
        expect(calls.renew[0]).toEqual([calls.claim[0]?.[0], calls.claim[0]?.[1], leaseMs]);
        const t = intervals.at(-1);
        expect(t?.hasRef()).toBe(false);
        c.res.end();
        await jest.advanceTimersByTimeAsync(1000);
        expect(calls.renew).toHaveLength(renewals);
        await mw.close();
      }
    } finally {
      spy.mockRestore();
      jest.useRealTimers();
      expect(global.setInterval).toBe(real);
    }
  });

  it('a failing renewal is ignored: the handler goes on and its answer is stored', async () => {
    jest.useFakeTimers();
    try {
      // an error reply (Redis answered): an outage would start the back-off, and the completion
      // would then fail fast like every other call (the paused-Redis test covers that)
      const { client, calls } = fakeRedis({ renew: replyError('ERR down') });
      const mw = idempotency({ redis: client as never, leaseMs: 150, logger: false });
      const c = call(mw, 'renewfail');
      await jest.advanceTimersByTimeAsync(200);
      expect(calls.renew.length).toBeGreaterThan(0);
      c.res.statusCode = 201;
      c.res.end();
      await jest.advanceTimersByTimeAsync(0);
      expect(calls.complete).toHaveLength(1);
      await mw.close();
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('bodies no parser read (415)', () => {
  it('decided on Transfer-Encoding or a non-zero Content-Length, then on the stream and req.body', async () => {
    const cases: Array<[Record<string, string>, boolean, unknown, 415 | 'next']> = [
      [{}, false, undefined, 'next'],
      [{ 'content-length': '0' }, false, undefined, 'next'],
      [{ 'content-length': ' 0 ' }, false, undefined, 'next'],
      [{ 'content-length': '' }, false, undefined, 'next'],
      [{ 'content-length': '  ' }, false, undefined, 'next'],
      [{ 'content-length': '5' }, true, { a: 1 }, 'next'],
      [{ 'transfer-encoding': 'chunked' }, true, 'text', 'next'],
      [{ 'transfer-encoding': 'chunked' }, false, undefined, 415],
      [{ 'content-length': '5' }, false, undefined, 415],
      [{ 'content-length': '5' }, true, undefined, 415], // read, but by nothing that set req.body
      [{ 'content-length': '5' }, false, { a: 1 }, 415], // req.body set, the stream not read
    ];
    for (const [headers, readableEnded, body, expected] of cases) {
      const mw = idempotency({ logger: false });
      const c = call(mw, 'b', { headers, readableEnded, body });
      await c.done;
      expect([headers, readableEnded, body, c.out.next ? 'next' : c.out.status]).toEqual([
        headers,
        readableEnded,
        body,
        expected,
      ]);
    }
  });
});

describe('scopes and idempotencyKeyFor', () => {
  it('inside the middleware: the derived key of the configured scope; an explicit scope is hashed anew', async () => {
    let seen: Array<string | undefined> = [];
    const { app: a } = appWith({ scope: () => 'tenant-1' }, (req, res) => {
      seen = [idempotencyKeyFor(req), idempotencyKeyFor(req, 'other')];
      res.status(201).end();
    });
    await post(a, 'k');
    expect(seen).toEqual([sha('tenant-1\nk').slice(0, 32), sha('other\nk').slice(0, 32)]);
  });

  it('outside the middleware: user id (string or number) or the IP, "unknown" without one', () => {
    const req = (user: unknown, ip: string | undefined, ...key: Array<string | undefined>) =>
      ({ user, ip, get: () => (key.length ? key[0] : 'k') }) as unknown as express.Request;
    expect(idempotencyKeyFor(req(undefined, undefined))).toBe(sha('ip:unknown\nk').slice(0, 32));
    expect(idempotencyKeyFor(req({ id: 'u' }, '1.2.3.4'))).toBe(sha('user:u\nk').slice(0, 32));
    expect(idempotencyKeyFor(req({ id: 0 }, '1.2.3.4'))).toBe(sha('user:0\nk').slice(0, 32));
    expect(idempotencyKeyFor(req({ id: true }, '1.2.3.4'))).toBe(sha('ip:1.2.3.4\nk').slice(0, 32));
    expect(idempotencyKeyFor(req({}, '1.2.3.4'))).toBe(sha('ip:1.2.3.4\nk').slice(0, 32));
    expect(idempotencyKeyFor(req({ id: 'u' }, '1.2.3.4', '"k"'))).toBe(
      sha('user:u\nk').slice(0, 32),
    );
    expect(idempotencyKeyFor(req(undefined, '1', undefined))).toBeUndefined();
    expect(idempotencyKeyFor(req(undefined, '1', ''))).toBeUndefined();
    expect(idempotencyKeyFor(req(undefined, '1', 'k'), 'given')).toBe(sha('given\nk').slice(0, 32));
  });

  it('the storage key is the prefix and the hash of scope and key (default prefix resil:)', async () => {
    const { client, calls } = fakeRedis();
    await post(appWith({ redis: client as never, scope: () => 's1' }).app, 'key1');
    expect(calls.claim[0]?.[0]).toBe(`resil:{idem:${sha('s1\nkey1')}}`);
  });
});

describe('methods', () => {
  it('POST and PATCH by default; PUT and DELETE untouched unless listed', async () => {
    const { client, calls } = fakeRedis();
    const a = express();
    a.use(express.json());
    a.use(idempotency({ redis: client as never, logger: false }));
    a.all('/h', (_req, res) => {
      res.status(200).end();
    });
    for (const m of ['post', 'patch', 'put', 'delete'] as const)
      expect((await request(a)[m]('/h').send({})).status).toBe(
        m === 'post' || m === 'patch' ? 400 : 200,
      );
    expect(calls.claim).toHaveLength(0);
  });
});
