// Issue #23: the exact contract of the option checks, errors and helpers (messages name the
// option and never carry the value; defaults as the README states them), so that a changed bound,
// message or default fails a test (mutation testing: stryker.config.mjs).

import { Deadlines, noopLogger, OptionRangeError, OptionTypeError } from '@resil/core';
import express from 'express';
import request from 'supertest';
import {
  createRateLimiter,
  ERROR_CODES,
  ipKey,
  isRateLimitError,
  RateLimitAbortError,
  RateLimitQueueFullError,
  RateLimitTimeoutError,
  rateLimit,
} from '../../src';
import { MemoryWindow } from '../../src/outbound';

describe('ipKey: prefixes, notations', () => {
  it.each([
    ['2001:db8:abcd:12ff::1', 60, '2001:db8:abcd:12f0:0:0:0:0/60'],
    ['2001:db8:abcd:12ff::1', 1, '0:0:0:0:0:0:0:0/1'],
    ['ffff:db8::1', 1, '8000:0:0:0:0:0:0:0/1'],
    ['2001:db8:abcd:12ff::1', 48, '2001:db8:abcd:0:0:0:0:0/48'],
    ['2001:db8:abcd:12ff::1', 127, '2001:db8:abcd:12ff:0:0:0:0/127'],
    ['2001:db8::3', 127, '2001:db8:0:0:0:0:0:2/127'],
    ['::1.2.3.4', 128, '0:0:0:0:0:0:102:304/128'],
    ['64:ff9b::192.0.2.33', 128, '64:ff9b:0:0:0:0:c000:221/128'],
    ['1::', 128, '1:0:0:0:0:0:0:0/128'],
    ['::', 128, '0:0:0:0:0:0:0:0/128'],
    ['1:2:3:4:5:6:7:8', 128, '1:2:3:4:5:6:7:8/128'],
    ['::ffff:1.2.3.4%eth0', 128, '0:0:0:0:0:ffff:102:304/128'],
    ['::10.20.30.40', 128, '0:0:0:0:0:0:a14:1e28/128'],
    ['::ffff:10.20.30.40', 56, '10.20.30.40'],
    ['1::ffff:1.2.3.4', 128, '1:0:0:0:0:ffff:102:304/128'],
    ['g:g:g:g:g:g:g:g', 56, 'unknown'],
    ['', 56, 'unknown'],
    ['1.2.3.4.5', 56, 'unknown'],
  ])('%s /%d → %s', (ip, bits, key) => {
    expect(ipKey(ip, bits)).toBe(key);
  });
});

describe('rateLimit: options', () => {
  it.each([
    [{ points: 0 }, RangeError, 'rateLimit: points must be an integer >= 1'],
    [{ points: 1.5 }, RangeError, 'rateLimit: points must be an integer >= 1'],
    [{ points: '5' }, TypeError, 'rateLimit: points must be an integer >= 1'],
    [{ durationMs: 999 }, RangeError, 'rateLimit: durationMs must be an integer >= 1000'],
    [
      { durationMs: 1500 },
      RangeError,
      'rateLimit: durationMs must be a whole number of seconds (a multiple of 1000)',
    ],
    [{ ipv6Subnet: 0 }, RangeError, 'rateLimit: ipv6Subnet must be an integer from 1 to 128'],
    [{ ipv6Subnet: 129 }, RangeError, 'rateLimit: ipv6Subnet must be an integer from 1 to 128'],
    [{ expectedWorkers: 0 }, RangeError, 'rateLimit: expectedWorkers must be an integer >= 1'],
    [{ storeTimeoutMs: 0 }, RangeError, 'rateLimit: storeTimeoutMs must be an integer >= 1'],
    [
      { onStoreError: 'maybe' },
      RangeError,
      "rateLimit: onStoreError must be one of 'insurance', 'allow', 'deny'",
    ],
    [
      { onStoreError: 1 },
      TypeError,
      "rateLimit: onStoreError must be one of 'insurance', 'allow', 'deny'",
    ],
    [{ keyBy: 'ip' }, TypeError, 'rateLimit: keyBy must be a function'],
    [{ cost: 1 }, TypeError, 'rateLimit: cost must be a function'],
    [{ skip: true }, TypeError, 'rateLimit: skip must be a function'],
    [
      { redis: {} },
      TypeError,
      'rateLimit: redis must be an ioredis Redis or Cluster, a node-redis client or cluster, or a URL',
    ],
    [
      { policyName: 'Upper' },
      RangeError,
      'rateLimit: policyName must be a lowercase token (a structured-field key)',
    ],
    [
      { policyName: '' },
      RangeError,
      'rateLimit: policyName must be a lowercase token (a structured-field key)',
    ],
    [{ policyName: 7 }, TypeError, 'rateLimit: policyName must be a string'],
    [
      { policyName: 'a b' },
      RangeError,
      'rateLimit: policyName must be a lowercase token (a structured-field key)',
    ],
    [
      { policyName: '-a' },
      RangeError,
      'rateLimit: policyName must be a lowercase token (a structured-field key)',
    ],
    [
      { points: 5, inMemoryBlockOnConsumed: 4 },
      RangeError,
      'rateLimit: inMemoryBlockOnConsumed must be an integer >= 5',
    ],
    [{ extra: 1 }, TypeError, 'rateLimit: unknown option "extra"'],
    [{ pionts: 1 }, TypeError, 'rateLimit: unknown option "pionts" (did you mean "points"?)'],
    [{ keyPrefix: 1 }, TypeError, 'rateLimit: keyPrefix must be a string'],
    [
      { logger: { warn() {} } },
      TypeError,
      'rateLimit: logger must have debug, info, warn and error methods, or be false',
    ],
  ])('%j → %p %s', (options, type, message) => {
    const call = () => rateLimit(options as never);
    expect(call).toThrow(type);
    expect(call).toThrow(new Error(message));
    // core's option errors: the option named, never its value
    const err = (() => {
      try {
        call();
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(type === TypeError ? OptionTypeError : OptionRangeError);
  });

  it('options must be an object', () => {
    expect(() => rateLimit(null as never)).toThrow(
      new TypeError('rateLimit: options must be an object'),
    );
    expect(() => rateLimit('x' as never)).toThrow(TypeError);
  });

  it('accepts the bounds and tokens the README allows', () => {
    for (const o of [
      { points: 1, durationMs: 1000, ipv6Subnet: 1, expectedWorkers: 1, storeTimeoutMs: 1 },
      { ipv6Subnet: 128, policyName: '*', inMemoryBlockOnConsumed: 100 },
      { policyName: 'a0_-.*' },
      { onStoreError: 'allow' as const },
      { onStoreError: 'deny' as const },
      { redis: 'redis://127.0.0.1:1', logger: false as const },
    ]) {
      const mw = rateLimit({ logger: false, ...o });
      expect(typeof mw).toBe('function');
      void mw.close();
    }
  });

  it('defaults: 100 per 60 s, policy "default", headers on every response', async () => {
    const a = express();
    a.use(rateLimit({ logger: false }));
    a.get('/', (_req, res) => {
      res.send('ok');
    });
    const r = await request(a).get('/');
    expect(r.headers['ratelimit-policy']).toBe('"default";q=100;w=60');
    expect(r.headers.ratelimit).toMatch(/^"default";r=99;t=(59|60)$/);
  });

  it('the 429 body and headers, exactly; a cost of 0 is never counted; a bad cost reaches the error handler', async () => {
    const a = express();
    a.use(
      rateLimit({
        points: 2,
        durationMs: 10_000,
        policyName: 'api',
        cost: (req) => Number(req.query.c ?? 1),
        logger: false,
      }),
    );
    a.get('/', (_req, res) => {
      res.send('ok');
    });
    a.use((err: Error, _req: express.Request, res: express.Response, _n: express.NextFunction) => {
      res.status(400).send(`${err.name}: ${err.message}`);
    });
    for (let i = 0; i < 3; i++) {
      const free = await request(a).get('/?c=0');
      expect(free.status).toBe(200);
      expect(free.headers.ratelimit).toBeUndefined();
    }
    expect((await request(a).get('/?c=1.5')).text).toBe(
      'RangeError: rateLimit: cost must return an integer >= 0',
    );
    expect((await request(a).get('/?c=-1')).status).toBe(400);
    expect((await request(a).get('/?c=2')).headers.ratelimit).toMatch(/^"api";r=0;t=(9|10)$/);
    const over = await request(a).get('/');
    expect(over.status).toBe(429);
    expect(over.headers['retry-after']).toMatch(/^(9|10)$/);
    expect(over.headers['ratelimit-policy']).toBe('"api";q=2;w=10');
    expect(JSON.parse(over.text)).toEqual({
      type: 'https://resil.dev/problems/rate-limited',
      title: 'Too Many Requests',
      status: 429,
      detail: `Rate limit exceeded; retry after ${over.headers['retry-after']} s.`,
    });
  });

  it('a keyBy that returns no string reaches the error handler as a TypeError', async () => {
    const a = express();
    a.use(rateLimit({ keyBy: () => 42 as never, logger: false }));
    a.get('/', (_req, res) => {
      res.send('ok');
    });
    a.use((err: Error, _req: express.Request, res: express.Response, _n: express.NextFunction) => {
      res.status(400).send(`${err.name}: ${err.message}`);
    });
    expect((await request(a).get('/')).text).toBe(
      'TypeError: rateLimit: keyBy must return a string',
    );
  });

  it('the proxy warning is given once, only with X-Forwarded-For and no trust proxy', async () => {
    const warnings: Array<[string, unknown]> = [];
    const logger = { ...noopLogger, warn: (m: string, meta?: unknown) => warnings.push([m, meta]) };
    const a = express();
    a.use(rateLimit({ points: 100, policyName: 'p', logger }));
    a.get('/', (_req, res) => {
      res.send('ok');
    });
    await request(a).get('/');
    expect(warnings).toEqual([]);
    await request(a).get('/').set('X-Forwarded-For', '192.0.2.1');
    await request(a).get('/').set('X-Forwarded-For', '192.0.2.2');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.[1]).toEqual({ event: 'trust-proxy-unset', policy: 'p' });
    expect(warnings[0]?.[0]).not.toContain('192.0.2');
    const trusted = express();
    trusted.set('trust proxy', 1);
    const w2: string[] = [];
    trusted.use(rateLimit({ logger: { ...noopLogger, warn: (m) => w2.push(m) } }));
    trusted.get('/', (_req, res) => {
      res.send('ok');
    });
    await request(trusted).get('/').set('X-Forwarded-For', '192.0.2.1');
    expect(w2).toEqual([]);
  });

  it('inMemoryBlockOnConsumed: a key blocked in memory answers 429', async () => {
    const a = express();
    a.use(rateLimit({ points: 2, inMemoryBlockOnConsumed: 2, logger: false }));
    a.get('/', (_req, res) => {
      res.send('ok');
    });
    const s: number[] = [];
    for (let i = 0; i < 4; i++) s.push((await request(a).get('/')).status);
    expect(s).toEqual([200, 200, 429, 429]);
  });
});

describe('createRateLimiter: options', () => {
  const base = { name: 'x', points: 10, durationMs: 1000 };
  it.each([
    [
      { name: 'x'.repeat(201) },
      RangeError,
      'createRateLimiter: name must be a string of 1 to 200 characters',
    ],
    [{ name: '' }, RangeError, 'createRateLimiter: name must be a string of 1 to 200 characters'],
    [{ name: 3 }, TypeError, 'createRateLimiter: name must be a string'],
    [
      { name: 'a}b' },
      RangeError,
      'createRateLimiter: name must be without "}" (it would end the hash tag of its keys)',
    ],
    [
      { keyPrefix: 'a{b}:' },
      RangeError,
      'createRateLimiter: keyPrefix must be without "{" or "}" (they would move the hash tag of its keys)',
    ],
    [{ points: 0 }, RangeError, 'createRateLimiter: points must be an integer >= 1'],
    [{ durationMs: 0 }, RangeError, 'createRateLimiter: durationMs must be an integer >= 1'],
    [{ burst: 0 }, RangeError, 'createRateLimiter: burst must be an integer >= 1'],
    [{ burst: 11 }, RangeError, 'createRateLimiter: burst must be at most points'],
    [{ maxQueue: -1 }, RangeError, 'createRateLimiter: maxQueue must be an integer >= 0'],
    [
      { expectedWorkers: 0 },
      RangeError,
      'createRateLimiter: expectedWorkers must be an integer >= 1',
    ],
    [
      { commandTimeoutMs: 0 },
      RangeError,
      'createRateLimiter: commandTimeoutMs must be an integer >= 1',
    ],
    [{ margin: 1 }, RangeError, 'createRateLimiter: margin must be a number in [0, 1)'],
    [{ margin: -0.1 }, RangeError, 'createRateLimiter: margin must be a number in [0, 1)'],
    [{ margin: Number.NaN }, RangeError, 'createRateLimiter: margin must be a number in [0, 1)'],
    [{ margin: '0.1' }, RangeError, 'createRateLimiter: margin must be a number in [0, 1)'],
    [{ keyPrefix: 1 }, TypeError, 'createRateLimiter: keyPrefix must be a string'],
    [
      { redis: {} },
      TypeError,
      'createRateLimiter: redis must be an ioredis Redis or Cluster, a node-redis client or cluster, or a URL',
    ],
    [{ extra: 1 }, TypeError, 'createRateLimiter: unknown option "extra"'],
  ])('%j → %p %s', (o, type, message) => {
    const call = () => createRateLimiter({ ...base, ...(o as object) } as never);
    expect(call).toThrow(type);
    expect(call).toThrow(new Error(message));
  });

  it('options must be an object; the bounds themselves are accepted', () => {
    expect(() => createRateLimiter(null as never)).toThrow(
      new TypeError('createRateLimiter: options must be an object'),
    );
    const l = createRateLimiter({
      name: 'x'.repeat(200),
      points: 1,
      durationMs: 1,
      burst: 1,
      maxQueue: 0,
      margin: 0,
      logger: false,
    });
    expect(l).toMatchObject({ points: 1, durationMs: 1, storage: 'memory', degraded: false });
    expect(createRateLimiter({ ...base, margin: 0.99, keyPrefix: '' }).waiting).toBe(0);
  });

  it('acquire and tryAcquire check their arguments with exact messages', async () => {
    const l = createRateLimiter({ ...base, logger: false });
    await expect(l.acquire({ timeoutMs: -1 })).rejects.toThrow(
      new RangeError('acquire: timeoutMs must be a number >= 0'),
    );
    await expect(l.acquire({ timeoutMs: Number.NaN })).rejects.toThrow(RangeError);
    await expect(l.acquire({ cost: 0 })).rejects.toThrow(
      new RangeError('acquire: cost must be an integer from 1 to points (10)'),
    );
    await expect(l.acquire({ cost: 1.5 })).rejects.toThrow(RangeError);
    await expect(l.tryAcquire(0)).rejects.toThrow(
      new RangeError('tryAcquire: cost must be an integer from 1 to points (10)'),
    );
    await expect(l.tryAcquire(2.5)).rejects.toThrow(RangeError);
    expect(await l.tryAcquire(10)).toBe(true); // cost = points is allowed
    await l.acquire({ cost: 1, timeoutMs: 5_000 });
  });

  it('an aborted signal rejects before anything is taken, with its reason as cause', async () => {
    const l = createRateLimiter({ ...base, points: 1, logger: false });
    const reason = new Error('gone');
    const err = await l.acquire({ signal: AbortSignal.abort(reason) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitAbortError);
    expect((err as Error).cause).toBe(reason);
    expect(await l.tryAcquire()).toBe(true);
  });

  it('maxQueue 0 refuses every acquire with the limiter name and the bound', async () => {
    const l = createRateLimiter({ ...base, name: 'q', maxQueue: 0, logger: false });
    const err = await l.acquire().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitQueueFullError);
    expect(err).toMatchObject({ limiter: 'q', maxQueue: 0, code: ERROR_CODES.QUEUE_FULL });
  });
});

describe('errors', () => {
  it('codes, names, fields and messages', () => {
    expect(ERROR_CODES).toEqual({
      TIMEOUT: 'RESIL_RATELIMIT_TIMEOUT',
      ABORTED: 'RESIL_RATELIMIT_ABORTED',
      QUEUE_FULL: 'RESIL_RATELIMIT_QUEUE_FULL',
    });
    const t = new RateLimitTimeoutError('up', 10.2);
    expect(t).toMatchObject({
      name: 'RateLimitTimeoutError',
      code: 'RESIL_RATELIMIT_TIMEOUT',
      limiter: 'up',
      waitMs: 11,
    });
    expect(t.message).toBe('rate limiter "up": no token within the allowed wait');
    expect(new RateLimitTimeoutError('up').waitMs).toBeUndefined();
    const a = new RateLimitAbortError('up');
    expect(a).toMatchObject({ name: 'AbortError', code: 'RESIL_RATELIMIT_ABORTED', limiter: 'up' });
    expect(a.message).toBe('rate limiter "up": wait aborted');
    expect('cause' in a).toBe(false);
    expect(new RateLimitAbortError('up', 'why').cause).toBe('why');
    const q = new RateLimitQueueFullError('up', 3);
    expect(q).toMatchObject({
      name: 'RateLimitQueueFullError',
      code: 'RESIL_RATELIMIT_QUEUE_FULL',
    });
    expect(q.message).toBe('rate limiter "up": 3 callers already waiting');
    for (const e of [t, a, q]) expect(isRateLimitError(e)).toBe(true);
    for (const e of [new Error('x'), null, undefined, 'RESIL_RATELIMIT_TIMEOUT', { code: 'OTHER' }])
      expect(isRateLimitError(e)).toBe(false);
    expect(isRateLimitError({ code: 'RESIL_RATELIMIT_ABORTED' })).toBe(true);
  });
});

describe('Redis helpers (now @resil/core) as the limiters use them', () => {
  /** The smallest client core's isRedisLike accepts; `evalsha` answers through `reply`. */
  function fakeClient(status: string, reply: () => Promise<unknown>) {
    return {
      status,
      evalsha: () => reply(),
      eval: () => reply(),
      on() {},
      off() {},
      quit: () => Promise.resolve('OK'),
      disconnect() {},
    };
  }

  it('a redis option must have the client shape (status string, evalsha, on, disconnect)', () => {
    const ok = fakeClient('ready', () => Promise.resolve(['0', 1]));
    expect(() => rateLimit({ redis: ok as never, logger: false })).not.toThrow();
    expect(() =>
      createRateLimiter({ name: 'x', points: 1, durationMs: 1, redis: ok as never, logger: false }),
    ).not.toThrow();
    for (const bad of [
      { ...ok, status: 1 },
      { ...ok, evalsha: 1 },
      { defineCommand: () => {}, status: 'ready' },
      null,
    ])
      expect(() => rateLimit({ redis: bad as never, logger: false })).toThrow(
        new TypeError(
          'rateLimit: redis must be an ioredis Redis or Cluster, a node-redis client or cluster, or a URL',
        ),
      );
  });

  it('a node-redis client or cluster is taken by its shape (isOpen boolean, sendCommand, on; no status string)', () => {
    const nodeRedis = {
      isOpen: false,
      isReady: false,
      sendCommand: () => Promise.resolve(),
      on() {},
      off() {},
    };
    const cluster = { ...nodeRedis, isReady: undefined, masters: [], nodeClient: () => nodeRedis };
    for (const ok of [nodeRedis, cluster]) {
      expect(() => rateLimit({ redis: ok as never, logger: false }).close()).not.toThrow();
      expect(() =>
        createRateLimiter({
          name: 'x',
          points: 1,
          durationMs: 1,
          redis: ok as never,
          logger: false,
        }),
      ).not.toThrow();
    }
    for (const bad of [
      { ...nodeRedis, isOpen: 'yes' },
      { ...nodeRedis, sendCommand: 1 },
      { ...nodeRedis, on: undefined },
    ]) {
      const message =
        'redis must be an ioredis Redis or Cluster, a node-redis client or cluster, or a URL';
      expect(() => rateLimit({ redis: bad as never, logger: false })).toThrow(
        new TypeError(`rateLimit: ${message}`),
      );
      expect(() =>
        createRateLimiter({
          name: 'x',
          points: 1,
          durationMs: 1,
          redis: bad as never,
          logger: false,
        }),
      ).toThrow(new TypeError(`createRateLimiter: ${message}`));
    }
  });

  it('Deadlines.race: the value, the rejection, or "timeout" once the time has passed', async () => {
    const d = new Deadlines(20);
    await expect(d.race(Promise.resolve(7), 1_000)).resolves.toBe(7);
    await expect(d.race(Promise.reject(new Error('no')), 1_000)).rejects.toThrow('no');
    await expect(d.race(new Promise(() => {}), 10)).resolves.toBe('timeout');
    let fired = 0;
    const cancel = d.add(5, () => fired++);
    cancel();
    await d.race(new Promise(() => {}), 30);
    expect(fired).toBe(0);
  });

  it('the limiter: a reply; a failure or a timeout marks it degraded once, and Redis is not asked again for a second', async () => {
    const changes: boolean[] = [];
    let replies = 0;
    let fail = false;
    const l = createRateLimiter({
      name: 'bounded',
      points: 1_000,
      durationMs: 1_000,
      burst: 1_000,
      commandTimeoutMs: 50,
      redis: fakeClient('ready', () => {
        replies++;
        return fail ? Promise.reject(new Error('x')) : Promise.resolve(['0', 1]);
      }) as never,
      logger: false,
    });
    l.onDegraded(() => changes.push(true));
    l.onRestored(() => changes.push(false));
    expect(await l.tryAcquire()).toBe(true);
    expect(l.degraded).toBe(false);
    fail = true;
    await l.tryAcquire(); // from memory: fenced (quarantine), so refused
    expect(l.degraded).toBe(true);
    expect(changes).toEqual([true]);
    const before = replies;
    await l.tryAcquire(); // not asked: within the second after the failure
    expect(replies).toBe(before);
    const now = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(now + 1_001);
    try {
      fail = false;
      expect(await l.tryAcquire()).toBe(true);
      expect(replies).toBe(before + 1);
      expect(l.degraded).toBe(false);
      expect(changes).toEqual([true, false]);
    } finally {
      clock.mockRestore();
    }
    const slow = createRateLimiter({
      name: 'slow',
      points: 1,
      durationMs: 1_000,
      commandTimeoutMs: 20,
      redis: fakeClient('ready', () => new Promise(() => {})) as never,
      logger: false,
    });
    expect(await slow.tryAcquire()).toBe(false);
    expect(slow.degraded).toBe(true);
  });

  it.each([
    ['wait', true],
    ['connecting', true],
    ['connect', true],
    ['reconnecting', false],
    ['end', false],
  ])('the limiter with a client in status %s: Redis asked %p', async (status, asked) => {
    const changes: boolean[] = [];
    let calls = 0;
    const l = createRateLimiter({
      name: 'status',
      points: 10,
      durationMs: 1_000,
      redis: fakeClient(status, () => {
        calls++;
        return Promise.resolve(['0', 1]);
      }) as never,
      logger: false,
    });
    l.onDegraded(() => changes.push(true));
    await l.tryAcquire();
    expect(calls).toBe(asked ? 1 : 0);
    expect(l.degraded).toBe(!asked);
    expect(changes).toEqual(asked ? [] : [true]);
  });
});

describe('MemoryWindow', () => {
  it('a cost above points is never granted; the log is compacted without changing decisions', () => {
    let now = 0;
    const w = new MemoryWindow(1, 5, 5, 5, () => now);
    expect(w.take(1_000, 6)).toEqual({ waitMs: Number.POSITIVE_INFINITY, granted: false });
    const waits: number[] = [];
    for (let i = 0; i < 3_000; i++) {
      const r = w.take(1_000, 1);
      expect(r.granted).toBe(true);
      waits.push(r.waitMs);
      now += 1;
    }
    // one unit a time unit, each granted at once after the first burst
    expect(waits.every((x) => x === 0)).toBe(true);
    const fenced = w.take(0, 1);
    expect(fenced.granted).toBe(true);
    w.fence(now + 100);
    expect(w.take(50, 1)).toMatchObject({ granted: false, waitMs: 100 });
    expect(w.take(100, 1)).toEqual({ granted: true, waitMs: 100 });
  });
});
