// The inbound controls of issue #20 (refunds, points(req), resetKey, handler, req.rateLimit,
// several limiters, legacy headers, blocks, raw IPv6 keys), each against the memory store and
// the shared test Redis (this file's own key prefix; the client kind of RESIL_REDIS_CLIENT).
// Cross-process claims are in controls-workers.redis.test.ts.

import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { useRedis, waitFor } from '@resil/testkit';
import express, { type Request } from 'express';
import request from 'supertest';
import {
  type RateLimitMiddleware,
  type RateLimitOptions,
  type RefundedEvent,
  rateLimit,
} from '../../src';
import { keysOf } from '../helpers';

const r = useRedis('ratelimit-controls');
let seq = 0;

interface Gate {
  entered: Promise<void>;
  release: () => void;
}
function gate(): Gate & { enter: () => void; released: Promise<void> } {
  let enter = () => {};
  let release = () => {};
  const entered = new Promise<void>((res) => {
    enter = res;
  });
  const released = new Promise<void>((res) => {
    release = res;
  });
  return { entered, enter, released, release };
}

/** An app with `limiters` in front of: /ok 200, /fail 401, /hold (200 when released), /hang (never answers). */
function app(limiters: RateLimitMiddleware[], hold?: ReturnType<typeof gate>) {
  const a = express();
  for (const l of limiters) a.use(l);
  a.get('/ok', (req, res) => {
    res.json({ rateLimit: req.rateLimit ?? null });
  });
  a.get('/fail', (_req, res) => {
    res.status(401).json({ ok: false });
  });
  a.get('/hold', async (_req, res) => {
    hold?.enter();
    await hold?.released;
    res.json({ ok: true });
  });
  a.get('/hang', () => {
    hold?.enter();
  });
  return a;
}

/** The next refund event of `limiter`. */
function nextRefund(limiter: RateLimitMiddleware): Promise<RefundedEvent> {
  return new Promise((resolve) => {
    const d = limiter.onRefunded((e) => {
      d.dispose();
      resolve(e);
    });
  });
}

describe.each(['memory', 'redis'] as const)('rateLimit controls (%s)', (storage) => {
  const limiters: RateLimitMiddleware[] = [];
  let keyPrefix = '';
  const make = (o: RateLimitOptions) => {
    keyPrefix = `${r.prefix}${++seq}:`;
    const l = rateLimit({
      durationMs: 60_000,
      keyBy: () => 'client',
      logger: false,
      storeTimeoutMs: 5_000,
      ...(storage === 'redis' ? { redis: r.redis, keyPrefix } : {}),
      ...o,
    });
    limiters.push(l);
    return l;
  };
  afterAll(async () => {
    await Promise.all(limiters.map((l) => l.close()));
  });
  /** The counter in Redis (one key under this limiter's prefix), or null when absent. */
  const counter = async (): Promise<string | null> => {
    const keys = await keysOf(r.admin, keyPrefix);
    expect(keys.length).toBeLessThanOrEqual(1);
    return keys[0] === undefined ? null : r.admin.get(keys[0]);
  };

  it('skipSuccessfulRequests: successes are given back, failures count', async () => {
    const l = make({ points: 2, skipSuccessfulRequests: true });
    const a = app([l]);
    for (let i = 0; i < 5; i++) {
      const refunded = nextRefund(l);
      expect((await request(a).get('/ok')).status).toBe(200);
      expect(await refunded).toEqual({ policy: 'default', cost: 1, refunded: true });
    }
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await request(a).get('/fail')).status);
    expect(statuses).toEqual([401, 401, 429]);
  });

  it('skipFailedRequests: failures are given back, successes count', async () => {
    const l = make({ points: 2, skipFailedRequests: true });
    const a = app([l]);
    for (let i = 0; i < 4; i++) {
      const refunded = nextRefund(l);
      expect((await request(a).get('/fail')).status).toBe(401);
      expect((await refunded).refunded).toBe(true);
    }
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await request(a).get('/ok')).status);
    expect(statuses).toEqual([200, 200, 429]);
  });

  it('skipFailedRequests: a client that aborts before the response ends counts as failed', async () => {
    const hold = gate();
    const l = make({ points: 1, skipFailedRequests: true });
    const server = app([l], hold).listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as AddressInfo;
      const refunded = nextRefund(l);
      const req = http.get(`http://127.0.0.1:${port}/hang`);
      req.on('error', () => {});
      await hold.entered;
      req.destroy();
      expect((await refunded).refunded).toBe(true);
      expect((await request(server).get('/ok')).status).toBe(200); // the unit came back
    } finally {
      server.close();
    }
  });

  it('a refund never drives the count below zero nor into the next window (resetKey in between)', async () => {
    const hold = gate();
    const l = make({ points: 1, skipSuccessfulRequests: true });
    const a = app([l], hold);
    const held = request(a)
      .get('/hold')
      .then((res) => res.status);
    await hold.entered;
    await l.resetKey('client'); // the window that took the unit is gone
    if (storage === 'redis') expect(await counter()).toBeNull();
    const refunded = nextRefund(l);
    hold.release();
    expect(await held).toBe(200);
    expect((await refunded).refunded).toBe(false);
    if (storage === 'redis') expect(await counter()).toBeNull(); // no key made at -1
    // a new window: 1 unit, not 2
    expect((await request(a).get('/fail')).status).toBe(401);
    expect((await request(a).get('/fail')).status).toBe(429);
  });

  it('a refund after resetKey gives nothing to the window a request opened just after it', async () => {
    const hold = gate();
    const l = make({ points: 1, skipSuccessfulRequests: true });
    const a = app([l], hold);
    const held = request(a)
      .get('/hold')
      .then((res) => res.status);
    await hold.entered;
    await l.resetKey('client');
    expect((await request(a).get('/fail')).status).toBe(401); // the new window: 1 of 1
    const refunded = nextRefund(l);
    hold.release();
    expect(await held).toBe(200);
    expect((await refunded).refunded).toBe(false);
    expect((await request(a).get('/fail')).status).toBe(429);
  });

  it('a refund racing the window reset gives no extra unit to the new window', async () => {
    const hold = gate();
    const l = make({ points: 1, durationMs: 1000, skipSuccessfulRequests: true });
    const a = app([l], hold);
    const held = request(a)
      .get('/hold')
      .then((res) => res.status);
    await hold.entered;
    // the window ends while the request is in flight; a new request opens the next window
    const start = Date.now();
    await waitFor(() => Date.now() - start > 1_050, { what: 'the 1 s window to end' });
    if (storage === 'redis')
      await waitFor(async () => (await counter()) === null, { what: 'the window key to expire' });
    expect((await request(a).get('/fail')).status).toBe(401);
    const refunded = nextRefund(l);
    hold.release();
    expect(await held).toBe(200);
    expect((await refunded).refunded).toBe(false);
    // the new window still holds its unit (or has ended too), never 0 from the old refund
    if (storage === 'redis') expect(await counter()).not.toBe('0');
  });

  it('points(req): a limit per request (per plan), in the headers and req.rateLimit; a bad value is a RangeError', async () => {
    const l = make({
      points: (req: Request) => (req.get('x-plan') === 'pro' ? 3 : 1),
      keyBy: (req: Request) => req.get('x-key') ?? 'anonymous',
    });
    const a = app([l]);
    const basic = () => request(a).get('/ok').set('x-key', 'b');
    const pro = () => request(a).get('/ok').set('x-key', 'p').set('x-plan', 'pro');
    expect((await basic()).status).toBe(200);
    expect((await basic()).status).toBe(429);
    const first = await pro();
    expect(first.headers['ratelimit-policy']).toBe('"default";q=3;w=60');
    expect(first.headers.ratelimit).toMatch(/^"default";r=2;t=(59|60)$/);
    expect(first.body.rateLimit).toMatchObject({ limit: 3, remaining: 2, policy: 'default' });
    expect(first.body.rateLimit.resetMs).toBeGreaterThan(58_000);
    expect((await pro()).status).toBe(200);
    expect((await pro()).status).toBe(200);
    expect((await pro()).status).toBe(429);
    const bad = make({ points: () => 0 });
    const b = express();
    b.use(bad);
    b.use((err: Error, _req: unknown, res: express.Response, _next: unknown) => {
      res.status(500).json({ name: err.name, message: err.message });
    });
    const res = await request(b).get('/');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({
      name: 'RangeError',
      message: 'rateLimit: points(req) must return an integer >= 1',
    });
  });

  it('resetKey(key) forgets a client; a raw IPv6 key from keyBy is grouped by ipv6Subnet', async () => {
    const l = make({ points: 1, keyBy: (req: Request) => req.get('x-ip') ?? '', ipv6Subnet: 64 });
    const a = app([l]);
    const from = (ip: string) => request(a).get('/ok').set('x-ip', ip);
    expect((await from('2001:db8:1:2::1')).status).toBe(200);
    expect((await from('2001:db8:1:2::ffff')).status).toBe(429); // same /64
    expect((await from('2001:db8:1:3::1')).status).toBe(200); // another /64
    await l.resetKey('2001:db8:1:2:aaaa::9'); // any address of the /64
    expect((await from('2001:db8:1:2::1')).status).toBe(200);
    expect((await from('2001:db8:1:2::1')).status).toBe(429);
    await expect(l.resetKey(42 as unknown as string)).rejects.toThrow(TypeError);
  });

  it('handler answers instead of the 429 problem, with the headers set and the info', async () => {
    const seen: unknown[] = [];
    const l = make({
      points: 1,
      handler: (req, res, _next, info) => {
        seen.push(info, req.rateLimit);
        res.status(429).type('text/plain').send('slow down');
      },
    });
    const a = app([l]);
    await request(a).get('/ok');
    const over = await request(a).get('/ok');
    expect(over.status).toBe(429);
    expect(over.text).toBe('slow down');
    expect(Number(over.headers['retry-after'])).toBeGreaterThanOrEqual(59);
    expect(over.headers.ratelimit).toMatch(/^"default";r=0;t=(59|60)$/);
    expect(seen[0]).toEqual({
      limit: 1,
      remaining: 0,
      resetMs: expect.any(Number),
      policy: 'default',
    });
    expect(seen[1]).toBe(seen[0]);
  });

  it('several limiters on one route each add their entry; legacy headers show the most restrictive', async () => {
    const global = make({ points: 10, policyName: 'global', legacyHeaders: true });
    const login = make({ points: 3, policyName: 'login', legacyHeaders: true });
    const a = app([global, login]);
    const before = Date.now();
    const res = await request(a).get('/ok');
    const after = Date.now();
    expect(res.headers['ratelimit-policy']).toBe('"global";q=10;w=60, "login";q=3;w=60');
    expect(res.headers.ratelimit).toMatch(/^"global";r=9;t=(59|60), "login";r=2;t=(59|60)$/);
    expect(res.headers['x-ratelimit-limit']).toBe('3');
    expect(res.headers['x-ratelimit-remaining']).toBe('2');
    const reset = Number(res.headers['x-ratelimit-reset']);
    // Epoch seconds of the window's end (60 s), read while the request was served.
    expect(reset).toBeGreaterThanOrEqual(Math.floor(before / 1000) + 59);
    expect(reset).toBeLessThanOrEqual(Math.ceil(after / 1000) + 61);
    expect(res.body.rateLimit).toMatchObject({ policy: 'login', remaining: 2, limit: 3 });
    const plain = await request(app([make({ points: 5 })])).get('/ok');
    expect(plain.headers['x-ratelimit-limit']).toBeUndefined();
  });

  it.each([
    ['a number of points', 1 as RateLimitOptions['points']],
    ['points(req)', (() => 1) as RateLimitOptions['points']],
  ])(
    'blockDurationMs (%s): a key over the limit stays refused past its window',
    async (_name, points) => {
      const l = make({ points, durationMs: 1000, blockDurationMs: 30_000 });
      const a = app([l]);
      expect((await request(a).get('/ok')).status).toBe(200);
      // The block starts when `over` is served, after `t0`: at a later time t at least
      // t0 + 30 s - t of it is left, however slow the machine (the window alone would say 1 s).
      const t0 = Date.now();
      const left = () => t0 + 30_000 - Date.now();
      const over = await request(a).get('/ok');
      expect(over.status).toBe(429);
      expect(Number(over.headers['retry-after'])).toBeGreaterThanOrEqual(Math.floor(left() / 1000));
      const again = await request(a).get('/ok');
      expect(again.status).toBe(429);
      expect(Number(again.headers['retry-after'])).toBeGreaterThanOrEqual(
        Math.floor(left() / 1000),
      );
      expect(left()).toBeGreaterThan(5_000); // the checks above still tell a block from a window
      if (storage === 'redis') {
        const [key] = await keysOf(r.admin, keyPrefix);
        const pttl = await r.admin.pttl(key as string);
        expect(pttl).toBeGreaterThanOrEqual(left() - 1);
      }
      await l.resetKey('client');
      expect((await request(a).get('/ok')).status).toBe(200);
    },
  );

  it('rejects bad options naming the option', () => {
    expect(() => rateLimit({ blockDurationMs: 1500 })).toThrow(/blockDurationMs/);
    expect(() => rateLimit({ blockDurationMs: -1000 })).toThrow(/blockDurationMs/);
    expect(() => rateLimit({ skipSuccessfulRequests: 'yes' as never })).toThrow(
      /skipSuccessfulRequests/,
    );
    expect(() => rateLimit({ skipFailedRequests: 1 as never })).toThrow(/skipFailedRequests/);
    expect(() => rateLimit({ legacyHeaders: 'no' as never })).toThrow(/legacyHeaders/);
    expect(() => rateLimit({ handler: 'x' as never })).toThrow(/handler/);
    expect(() => rateLimit({ points: () => 1, inMemoryBlockOnConsumed: 5 })).toThrow(
      /inMemoryBlockOnConsumed/,
    );
  });
});
