// rateLimit's store-failure, time-out, refund and block paths, in this process (issue #23: the
// per-mutant Stryker run reaches them): a Redis that does not answer in time or answers with an
// error is the shared test Redis behind a TCP gate of this file (net.Server on a free port that
// forwards to it, and can hold its replies back or answer a command with an error itself), so no
// server is paused or stopped. The middleware is called directly with small request / response
// objects where a test needs several requests in one turn of the event loop.

import { EventEmitter as NodeEmitter } from 'node:events';
import net from 'node:net';
import { metrics } from '@opentelemetry/api';
import {
  CORE_ERROR_CODES,
  clientStatus,
  OptionRangeError,
  OptionTypeError,
  type RedisClient,
  ResilError,
} from '@resil/core';
import { freePort, untilReady, useRedis, waitFor } from '@resil/testkit';
import express from 'express';
import { Redis } from 'ioredis';
import request from 'supertest';
import { type RateLimitMiddleware, rateLimit } from '../../src';

const r = useRedis('ratelimit-inpaths');
let seq = 0;
const prefix = () => `${r.prefix}${++seq}:`;

/** Every counter add of createTelemetry: the strategy events of each pipeline. */
const counted: Array<{ instrument: string; attributes: Record<string, unknown> }> = [];
beforeAll(() => {
  const meter = {
    createCounter: (instrument: string) => ({
      add: (_v: number, attributes: Record<string, unknown> = {}) =>
        counted.push({ instrument, attributes }),
    }),
    createHistogram: () => ({ record: () => {} }),
  };
  metrics.setGlobalMeterProvider({ getMeter: () => meter } as never);
});
afterAll(() => {
  metrics.disable();
});
const telemetryOf = (pipeline: string) =>
  counted
    .filter(
      (c) =>
        c.instrument === 'resilience.strategy.events' &&
        c.attributes['strategy.name'] === 'ratelimit' &&
        c.attributes['pipeline.name'] === pipeline,
    )
    .map((c) => [c.attributes['event.name'], c.attributes['event.severity']]);

/**
 * A TCP gate in front of the shared Redis: `hold()` keeps Redis's replies back until
 * `release()`; `failIf(cmd)` answers each matching command itself with an error reply.
 */
class Gate {
  held = false;
  failIf: (command: string) => boolean = () => false;
  readonly #pending: Array<() => void> = [];
  readonly #sockets = new Set<net.Socket>();
  private constructor(
    readonly server: net.Server,
    readonly port: number,
  ) {}
  static async start(target: URL): Promise<Gate> {
    const port = await freePort();
    let gate: Gate | undefined;
    const server = net.createServer((down) => {
      const g = gate as Gate;
      const up = net.connect(Number(target.port || 6379), target.hostname);
      g.#sockets.add(down).add(up);
      down.on('error', () => up.destroy());
      up.on('error', () => down.destroy());
      down.on('close', () => up.destroy());
      up.on('close', () => down.destroy());
      down.on('data', (d: Buffer) => {
        // one command per array at the top of the chunk (ioredis writes whole commands)
        const text = d.toString('latin1');
        const commands = text.split(/(?=\*\d+\r\n\$)/).filter((c) => c.length > 0);
        for (const c of commands) {
          if (g.failIf(c)) g.#reply(down, Buffer.from('-ERR injected by the test gate\r\n'));
          else up.write(Buffer.from(c, 'latin1'));
        }
      });
      up.on('data', (d: Buffer) => g.#reply(down, d));
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    gate = new Gate(server, port);
    return gate;
  }
  #reply(down: net.Socket, d: Buffer) {
    if (this.held) this.#pending.push(() => down.write(d));
    else down.write(d);
  }
  hold() {
    this.held = true;
  }
  release() {
    this.held = false;
    for (const send of this.#pending.splice(0)) send();
  }
  async close() {
    this.release();
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let gate: Gate;
const clients: Redis[] = [];
beforeAll(async () => {
  gate = await Gate.start(new URL(r.url));
});
afterEach(() => {
  gate.release();
  gate.failIf = () => false;
});
afterAll(async () => {
  // the gate's sockets first: a client's disconnect then finds its stream closed (no timer left)
  await gate.close();
  for (const c of clients) c.disconnect();
});

/** An ioredis client through the gate, ready. */
async function gated(): Promise<Redis> {
  const c = new Redis({ host: '127.0.0.1', port: gate.port, maxRetriesPerRequest: 1 });
  c.on('error', () => {});
  clients.push(c);
  await untilReady(c);
  return c;
}

/** Every payload of every event of a middleware, in order. */
function record(mw: RateLimitMiddleware) {
  const seen: Array<[string, unknown]> = [];
  for (const n of [
    'onAllowed',
    'onLimited',
    'onStoreError',
    'onRefunded',
    'onDegraded',
    'onRestored',
  ] as const)
    mw[n]((v: unknown) => seen.push([n, v]));
  return seen;
}

/** A logger that records warn and info with their fields. */
function logs() {
  const seen: Array<[string, string, unknown]> = [];
  const at = (level: string) => (m: string, f?: unknown) => seen.push([level, m, f]);
  return {
    seen,
    logger: {
      debug: () => {},
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
    },
  };
}

function app(limit: RateLimitMiddleware, status = 200) {
  const a = express();
  a.use(limit);
  a.get('/', (_req, res) => {
    res.status(status).send('ok');
  });
  a.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).send(`error: ${err.message}`);
  });
  return a;
}

/** A small response: headers, status, body, and the finish event. */
class FakeRes extends NodeEmitter {
  statusCode = 200;
  headersSent = false;
  body: string | undefined;
  readonly headers = new Map<string, unknown>();
  setHeader(name: string, value: unknown) {
    this.headers.set(name.toLowerCase(), value);
    return this;
  }
  getHeader(name: string) {
    return this.headers.get(name.toLowerCase());
  }
  end(body?: string) {
    this.body = body;
    this.headersSent = true;
    this.emit('finish');
    return this;
  }
}

/** Calls the middleware directly; resolves with what happened to the request. */
function call(mw: RateLimitMiddleware, req: Record<string, unknown>, res = new FakeRes()) {
  return new Promise<{ res: FakeRes; next: boolean; err?: unknown; req: Record<string, unknown> }>(
    (resolve) => {
      res.once('finish', () => resolve({ res, next: false, req }));
      mw(
        req as never,
        res as never,
        ((err?: unknown) => resolve({ res, next: true, err, req })) as never,
      );
    },
  );
}
const fakeReq = (key: string) => ({ ip: key, headers: {}, app: { get: () => false } });

describe('rateLimit: a Redis that does not answer in time (gate holding replies)', () => {
  it("insurance: degraded 'timeout' once, store-error REDIS_TIMEOUT decided by the insurance, its quota (points / expectedWorkers); restored with downMs when Redis answers", async () => {
    const client = await gated();
    const { seen: logged, logger } = logs();
    const limit = rateLimit({
      points: 8,
      expectedWorkers: 4,
      durationMs: 60_000,
      redis: client,
      keyPrefix: prefix(),
      policyName: 'gate-ins',
      keyBy: () => 'k',
      // long enough for the shared Redis to answer on a loaded machine (the last request)
      storeTimeoutMs: 250,
      logger,
    });
    const seen = record(limit);
    const a = app(limit);
    jest.useFakeTimers({
      now: 1_000_000,
      doNotFake: [
        'hrtime',
        'nextTick',
        'performance',
        'queueMicrotask',
        'setImmediate',
        'clearImmediate',
        'setInterval',
        'clearInterval',
        'setTimeout',
        'clearTimeout',
      ],
    });
    try {
      const first = await request(a).get('/');
      expect(first.status).toBe(200);
      expect(first.headers.ratelimit).toBe('"gate-ins";r=7;t=60');
      gate.hold();
      // three requests in one turn: one count waiting for Redis, timed out, decided by the insurance
      const held = await Promise.all([1, 2, 3].map(() => call(limit, fakeReq('10.1.1.1'))));
      // the insurance allows 2 (8 / 4) in this process
      expect(held.map((o) => [o.next, o.res.statusCode])).toEqual([
        [true, 200],
        [true, 200],
        [false, 429],
      ]);
      expect(held.map((o) => o.res.getHeader('ratelimit'))).toEqual([
        '"gate-ins";r=1;t=60',
        '"gate-ins";r=0;t=60',
        '"gate-ins";r=0;t=60',
      ]);
      expect(held[2]?.res.getHeader('retry-after')).toBe('60');
      jest.setSystemTime(1_001_234);
      gate.release();
      // Redis counted the held ones too: 1 + 3 + 1
      const back = await request(a).get('/');
      expect(back.status).toBe(200);
      expect(back.headers.ratelimit).toBe('"gate-ins";r=3;t=60');
      expect(back.headers['ratelimit-policy']).toBe('"gate-ins";q=8;w=60');
      expect(seen).toEqual([
        ['onAllowed', { policy: 'gate-ins', remaining: 7 }],
        ['onDegraded', { name: 'gate-ins', reason: 'timeout' }],
        ...[1, 2, 3].map(() => [
          'onStoreError',
          { policy: 'gate-ins', code: CORE_ERROR_CODES.REDIS_TIMEOUT, insurance: true },
        ]),
        ['onAllowed', { policy: 'gate-ins', remaining: 1 }],
        ['onAllowed', { policy: 'gate-ins', remaining: 0 }],
        ['onLimited', { policy: 'gate-ins', retryAfterMs: 60_000 }],
        ['onRestored', { name: 'gate-ins', downMs: 1234 }],
        ['onAllowed', { policy: 'gate-ins', remaining: 3 }],
      ]);
      expect(logged).toEqual([
        [
          'warn',
          'rate limit: store unavailable, limiting in this process',
          { event: 'store-degraded', policy: 'gate-ins', reason: 'timeout' },
        ],
        [
          'info',
          'rate limit: store available again',
          { event: 'store-restored', policy: 'gate-ins', downMs: 1234 },
        ],
      ]);
      expect(telemetryOf('gate-ins')).toEqual([
        ['allowed', 'information'],
        ['store-degraded', 'warning'],
        ['store-error', 'warning'],
        ['store-error', 'warning'],
        ['store-error', 'warning'],
        ['allowed', 'information'],
        ['allowed', 'information'],
        ['limited', 'information'],
        ['store-restored', 'information'],
        ['allowed', 'information'],
      ]);
    } finally {
      jest.useRealTimers();
      await limit.close();
    }
  });

  it.each([
    ['deny', 503],
    ['allow', 200],
  ] as const)(
    "onStoreError '%s': a time-out is a store error nobody decides",
    async (onStoreError, status) => {
      const client = await gated();
      const { seen: logged, logger } = logs();
      const policyName = `gate-${onStoreError}`;
      const limit = rateLimit({
        points: 4,
        durationMs: 60_000,
        redis: client,
        keyPrefix: prefix(),
        policyName,
        onStoreError,
        storeTimeoutMs: 40,
        logger,
      });
      const seen = record(limit);
      gate.hold();
      const res = await request(app(limit)).get('/');
      expect(res.status).toBe(status);
      expect(res.headers.ratelimit).toBeUndefined();
      if (onStoreError === 'deny') {
        expect(res.headers['retry-after']).toBe('1');
        expect(JSON.parse(res.text)).toEqual({
          type: 'https://resil.dev/problems/rate-limit-unavailable',
          title: 'Service Unavailable',
          status: 503,
          detail: 'The rate limit could not be checked; retry shortly.',
        });
      }
      expect(seen).toEqual([
        ['onDegraded', { name: policyName, reason: 'timeout' }],
        [
          'onStoreError',
          { policy: policyName, code: CORE_ERROR_CODES.REDIS_TIMEOUT, insurance: false },
        ],
      ]);
      expect(logged).toEqual([
        [
          'warn',
          `rate limit: store unavailable, ${onStoreError === 'deny' ? 'refusing requests' : 'allowing requests'}`,
          { event: 'store-degraded', policy: policyName, reason: 'timeout' },
        ],
      ]);
      await limit.close();
    },
  );

  it('many counts in flight (more than the ring holds at first) time out in arrival order, each answered once by the insurance', async () => {
    const client = await gated();
    const limit = rateLimit({
      points: 150,
      durationMs: 60_000,
      redis: client,
      keyPrefix: prefix(),
      policyName: 'gate-ring',
      storeTimeoutMs: 40,
      logger: false,
    });
    // 7 counts answered first: the ring's head is no longer at its start when it grows
    const warm = await Promise.all(
      Array.from({ length: 7 }, () => call(limit, fakeReq('10.0.1.1'))),
    );
    expect(warm.map((o) => o.res.getHeader('ratelimit'))).toEqual(
      Array.from({ length: 7 }, (_, j) => `"gate-ring";r=${149 - j};t=60`),
    );
    gate.hold();
    // 300 requests of 3 clients in one turn: 300 counts waiting for Redis
    const calls = Array.from({ length: 300 }, (_, i) => call(limit, fakeReq(`10.0.0.${i % 3}`)));
    const outcomes = await Promise.all(calls);
    // the insurance allows 150 per client: all 100 of each
    expect(outcomes.filter((o) => o.next && o.err === undefined)).toHaveLength(300);
    // remaining counts down per client, in the order the requests came
    for (let c = 0; c < 3; c++)
      expect(
        outcomes.filter((_, i) => i % 3 === c).map((o) => o.res.getHeader('ratelimit')),
      ).toEqual(Array.from({ length: 100 }, (_, j) => `"gate-ring";r=${149 - j};t=60`));
    gate.release();
    await limit.close();
  });

  it('resetKey forgets the key in Redis and in the insurance', async () => {
    const client = await gated();
    const keyPrefix = prefix();
    const limit = rateLimit({
      points: 2,
      durationMs: 60_000,
      redis: client,
      keyPrefix,
      policyName: 'reset',
      // Redis must answer the first count and resetKey within it on a loaded machine
      storeTimeoutMs: 250,
      logger: false,
    });
    const ip = '192.0.2.20';
    expect((await call(limit, fakeReq(ip))).res.getHeader('ratelimit')).toBe('"reset";r=1;t=60');
    gate.hold();
    // timed out: the insurance counts it
    expect((await call(limit, fakeReq(ip))).res.getHeader('ratelimit')).toBe('"reset";r=1;t=60');
    expect((await call(limit, fakeReq(ip))).res.getHeader('ratelimit')).toBe('"reset";r=0;t=60');
    gate.release();
    await limit.resetKey(ip);
    expect(await r.admin.keys(`${keyPrefix}*`)).toEqual([]);
    gate.hold();
    expect((await call(limit, fakeReq(ip))).res.getHeader('ratelimit')).toBe('"reset";r=1;t=60');
    gate.release();
    await limit.close();
  });

  it("the default keyPrefix is 'resil:' (the key is removed again with resetKey)", async () => {
    // a policy of this run only: the key sits outside the fixture's prefix
    const policyName = `inpaths-${process.pid}-${Date.now()}`;
    const limit = rateLimit({
      points: 3,
      redis: r.redis,
      policyName,
      storeTimeoutMs: 5_000,
      logger: false,
    });
    try {
      expect((await call(limit, fakeReq('192.0.2.40'))).res.getHeader('ratelimit')).toBe(
        `"${policyName}";r=2;t=60`,
      );
      const keys = await r.admin.keys(`resil:ratelimit:in:${policyName}:q3w60:*`);
      expect(keys).toHaveLength(1);
    } finally {
      await limit.resetKey('192.0.2.40');
      await limit.close();
    }
    expect(await r.admin.keys(`resil:ratelimit:in:${policyName}:*`)).toEqual([]);
  });

  it('resetKey: the store not answering within storeTimeoutMs rejects with REDIS_TIMEOUT', async () => {
    const client = await gated();
    const limit = rateLimit({
      redis: client,
      keyPrefix: prefix(),
      storeTimeoutMs: 40,
      logger: false,
    });
    gate.hold();
    const err = await limit.resetKey('203.0.113.9').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResilError);
    expect(err).toMatchObject({
      code: CORE_ERROR_CODES.REDIS_TIMEOUT,
      message: 'rateLimit: resetKey: the store did not answer in time',
    });
    await limit.close();
  });
});

describe('rateLimit: a Redis that answers with an error (client ready)', () => {
  it("insurance: degraded 'failed', store-error REDIS_FAILED decided by the insurance; restored once Redis counts again", async () => {
    const client = await gated();
    const { seen: logged, logger } = logs();
    const limit = rateLimit({
      points: 6,
      expectedWorkers: 3,
      durationMs: 60_000,
      redis: client,
      keyPrefix: prefix(),
      policyName: 'err-ins',
      storeTimeoutMs: 2_000,
      logger,
    });
    const seen = record(limit);
    const a = app(limit);
    gate.failIf = () => true;
    const res = await request(a).get('/');
    expect(res.status).toBe(200);
    expect(res.headers.ratelimit).toBe('"err-ins";r=1;t=60'); // 6 / 3 in this process
    gate.failIf = () => false;
    const back = await request(a).get('/');
    expect(back.status).toBe(200);
    expect(back.headers.ratelimit).toBe('"err-ins";r=5;t=60');
    expect(seen).toEqual([
      ['onDegraded', { name: 'err-ins', reason: 'failed' }],
      ['onStoreError', { policy: 'err-ins', code: CORE_ERROR_CODES.REDIS_FAILED, insurance: true }],
      ['onAllowed', { policy: 'err-ins', remaining: 1 }],
      ['onRestored', { name: 'err-ins', downMs: expect.any(Number) }],
      ['onAllowed', { policy: 'err-ins', remaining: 5 }],
    ]);
    expect(logged.map(([level, , f]) => [level, (f as { reason?: string }).reason])).toEqual([
      ['warn', 'failed'],
      ['info', undefined],
    ]);
    await limit.close();
  });

  it("deny: 503 with store-error REDIS_FAILED (not decided by the insurance), degraded 'failed'", async () => {
    const client = await gated();
    const limit = rateLimit({
      redis: client,
      keyPrefix: prefix(),
      policyName: 'err-deny',
      onStoreError: 'deny',
      storeTimeoutMs: 2_000,
      logger: false,
    });
    const seen = record(limit);
    gate.failIf = () => true;
    expect((await request(app(limit)).get('/')).status).toBe(503);
    expect(seen).toEqual([
      ['onDegraded', { name: 'err-deny', reason: 'failed' }],
      [
        'onStoreError',
        { policy: 'err-deny', code: CORE_ERROR_CODES.REDIS_FAILED, insurance: false },
      ],
    ]);
    await limit.close();
  });

  it('deny: a count answered once only (a failure, then a time-out, then a late reply: each request answered once)', async () => {
    const client = await gated();
    const limit = rateLimit({
      points: 5,
      durationMs: 60_000,
      redis: client,
      keyPrefix: prefix(),
      policyName: 'once',
      onStoreError: 'deny',
      storeTimeoutMs: 40,
      logger: false,
    });
    const seen = record(limit);
    const ip = '192.0.2.70';
    // 1: Redis answers with an error at once
    gate.failIf = () => true;
    expect((await call(limit, fakeReq(ip))).res.statusCode).toBe(503);
    gate.failIf = () => false;
    // 2: Redis holds the reply: timed out
    gate.hold();
    expect((await call(limit, fakeReq(ip))).res.statusCode).toBe(503);
    // 3: the held reply comes, then this count's
    gate.release();
    const back = await call(limit, fakeReq(ip));
    expect(back.next).toBe(true);
    expect(back.res.getHeader('ratelimit')).toBe('"once";r=3;t=60');
    expect(seen).toEqual([
      ['onDegraded', { name: 'once', reason: 'failed' }],
      ['onStoreError', { policy: 'once', code: CORE_ERROR_CODES.REDIS_FAILED, insurance: false }],
      ['onStoreError', { policy: 'once', code: CORE_ERROR_CODES.REDIS_TIMEOUT, insurance: false }],
      ['onRestored', { name: 'once', downMs: expect.any(Number) }],
      ['onAllowed', { policy: 'once', remaining: 3 }],
    ]);
    await limit.close();
  });

  it("points(req) with blockDurationMs: a block the store does not write in time is lost, not the 429 (Retry-After: the window's)", async () => {
    const client = await gated();
    const keyPrefix = prefix();
    const limit = rateLimit({
      points: () => 1,
      blockDurationMs: 600_000,
      durationMs: 60_000,
      redis: client,
      keyPrefix,
      storeTimeoutMs: 250,
      logger: false,
    });
    const a = app(limit);
    expect((await request(a).get('/')).status).toBe(200);
    // the count goes through; the block (MULTI, SET, PTTL, EXEC) is not answered in time
    gate.failIf = (cmd) => {
      if (/^\*\d+\r\n\$\d+\r\nmulti\r\n/i.test(cmd)) gate.hold();
      return false;
    };
    const over = await request(a).get('/');
    expect(gate.held).toBe(true);
    expect(over.status).toBe(429);
    expect(over.headers['retry-after']).toMatch(/^(59|60)$/);
    expect(JSON.parse(over.text)).toMatchObject({ status: 429, title: 'Too Many Requests' });
    await limit.close();
  });

  it.each([
    ['insurance', '600'],
    ['deny', /^(59|60)$/],
  ] as const)(
    "points(req) with blockDurationMs, onStoreError '%s': a block Redis fails to write goes to the insurance, or is lost (not the 429)",
    async (onStoreError, retryAfter) => {
      const client = await gated();
      const limit = rateLimit({
        points: () => 1,
        blockDurationMs: 600_000,
        durationMs: 60_000,
        redis: client,
        keyPrefix: prefix(),
        onStoreError,
        storeTimeoutMs: 2_000,
        logger: false,
      });
      const a = app(limit);
      expect((await request(a).get('/')).status).toBe(200);
      // the count goes through; the block (MULTI, SET, PTTL, EXEC) is answered with errors
      let failed = 0;
      gate.failIf = (cmd) =>
        /^\*\d+\r\n\$\d+\r\n(multi|set|pttl|exec)\r\n/i.test(cmd) && ++failed > 0;
      const over = await request(a).get('/');
      expect(failed).toBeGreaterThan(0);
      expect(over.status).toBe(429);
      expect(over.headers['retry-after']).toMatch(retryAfter);
      await limit.close();
    },
  );

  it('points(req) with blockDurationMs: the first request over the limit blocks the key for the block duration', async () => {
    const keyPrefix = prefix();
    const limit = rateLimit({
      points: () => 1,
      blockDurationMs: 600_000,
      durationMs: 60_000,
      redis: r.redis,
      keyPrefix,
      storeTimeoutMs: 5_000,
      logger: false,
    });
    const seen = record(limit);
    const a = app(limit);
    expect((await request(a).get('/')).status).toBe(200);
    const over = await request(a).get('/');
    expect(over.status).toBe(429);
    expect(over.headers['retry-after']).toBe('600');
    expect(over.headers.ratelimit).toBe('"default";r=0;t=600');
    expect(seen.at(-1)).toEqual(['onLimited', { policy: 'default', retryAfterMs: 600_000 }]);
    // points(req): the key names no quota
    const keys = await r.admin.keys(`${keyPrefix}*`);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/ratelimit:in:default:qfnw60:[A-Za-z0-9_-]{22}$/);
    await limit.close();
  });
});

describe('rateLimit: a client still connecting', () => {
  it('the first requests wait for its first connection and count in Redis (not the insurance)', async () => {
    const client = new Redis({ host: '127.0.0.1', port: gate.port, maxRetriesPerRequest: 1 });
    client.on('error', () => {});
    clients.push(client);
    const lazy = new Redis({
      host: '127.0.0.1',
      port: gate.port,
      lazyConnect: true,
      maxRetriesPerRequest: 1,
    });
    lazy.on('error', () => {});
    clients.push(lazy);
    const opts = {
      points: 10,
      expectedWorkers: 5,
      durationMs: 60_000,
      keyPrefix: prefix(),
      policyName: 'first',
      storeTimeoutMs: 4_000,
      logger: false as const,
    };
    const a = rateLimit({ ...opts, redis: client });
    const b = rateLimit({ ...opts, redis: lazy as RedisClient });
    const seen = [...record(a), ...record(b)];
    expect(clientStatus(client)).toBe('connecting');
    expect(clientStatus(lazy)).toBe('wait');
    const first = await Promise.all([
      call(a, fakeReq('192.0.2.10')),
      call(a, fakeReq('192.0.2.10')),
      call(b, fakeReq('192.0.2.11')),
    ]);
    expect(first.map((o) => o.res.getHeader('ratelimit'))).toEqual([
      '"first";r=9;t=60',
      '"first";r=8;t=60',
      '"first";r=9;t=60',
    ]);
    expect(clientStatus(lazy)).toBe('ready');
    expect((await call(a, fakeReq('192.0.2.10'))).res.getHeader('ratelimit')).toBe(
      '"first";r=7;t=60',
    );
    expect(seen).toEqual([]);
    await a.close();
    await b.close();
  });
});

describe('rateLimit: a Redis that is not there (refunds on: the package-own Redis store)', () => {
  it("insurance takes over: store-error REDIS_UNAVAILABLE, degraded 'unavailable'", async () => {
    const port = await freePort();
    const client = new Redis({
      host: '127.0.0.1',
      port,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => {});
    clients.push(client);
    const limit = rateLimit({
      points: 2,
      durationMs: 60_000,
      redis: client as RedisClient,
      keyPrefix: prefix(),
      policyName: 'dead',
      skipFailedRequests: true,
      storeTimeoutMs: 2_000,
      logger: false,
    });
    const seen = record(limit);
    const a = app(limit);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await request(a).get('/')).status);
    expect(statuses).toEqual([200, 200, 429]);
    expect(clientStatus(client)).toBe('end');
    expect(seen.slice(0, 3)).toEqual([
      ['onDegraded', { name: 'dead', reason: 'unavailable' }],
      [
        'onStoreError',
        { policy: 'dead', code: CORE_ERROR_CODES.REDIS_UNAVAILABLE, insurance: true },
      ],
      ['onAllowed', { policy: 'dead', remaining: 1 }],
    ]);
    expect(seen.filter(([n]) => n === 'onDegraded')).toHaveLength(1);
    await limit.close();
  });
});

describe("rateLimit: a Redis that is not there, onStoreError 'deny'", () => {
  it("503, store-error REDIS_UNAVAILABLE not decided by the insurance, degraded 'unavailable'", async () => {
    const port = await freePort();
    const client = new Redis({
      host: '127.0.0.1',
      port,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => {});
    clients.push(client);
    const limit = rateLimit({
      redis: client as RedisClient,
      keyPrefix: prefix(),
      policyName: 'dead-deny',
      onStoreError: 'deny',
      storeTimeoutMs: 2_000,
      logger: false,
    });
    const seen = record(limit);
    const out = await call(limit, fakeReq('192.0.2.60'));
    expect(out.res.statusCode).toBe(503);
    expect(seen).toEqual([
      ['onDegraded', { name: 'dead-deny', reason: 'unavailable' }],
      [
        'onStoreError',
        { policy: 'dead-deny', code: CORE_ERROR_CODES.REDIS_UNAVAILABLE, insurance: false },
      ],
    ]);
    await limit.close();
  });
});

describe('rateLimit: refunds and blocks on Redis', () => {
  it('skipFailedRequests: a failed response gives its units back to the Redis window (event refunded: true); a successful one keeps them', async () => {
    const keyPrefix = prefix();
    const mk = (status: number) => {
      const limit = rateLimit({
        points: 5,
        durationMs: 60_000,
        redis: r.redis,
        keyPrefix,
        policyName: 'refund',
        keyBy: () => 'user-1',
        cost: () => 2,
        skipFailedRequests: true,
        storeTimeoutMs: 5_000,
        logger: false,
      });
      return { limit, seen: record(limit), a: app(limit, status) };
    };
    const failing = mk(500);
    const ok = mk(200);
    expect((await request(ok.a).get('/')).headers.ratelimit).toBe('"refund";r=3;t=60');
    const bad = await request(failing.a).get('/');
    expect(bad.status).toBe(500);
    expect(bad.headers.ratelimit).toBe('"refund";r=1;t=60');
    await waitFor(() => failing.seen.some(([n]) => n === 'onRefunded'), { what: 'the refund' });
    expect(failing.seen).toEqual([
      ['onAllowed', { policy: 'refund', remaining: 1 }],
      ['onRefunded', { policy: 'refund', cost: 2, refunded: true }],
    ]);
    const keys = (await r.admin.keys(`${keyPrefix}*`)).sort();
    expect(keys).toHaveLength(1);
    expect(await r.admin.get(keys[0] as string)).toBe('2');
    expect((await request(ok.a).get('/')).headers.ratelimit).toBe('"refund";r=1;t=60');
    expect(ok.seen.filter(([n]) => n === 'onRefunded')).toEqual([]);
    await failing.limit.close();
    await ok.limit.close();
  });

  it('a refund the store fails is refused (event refunded: false) and changes nothing', async () => {
    const client = await gated();
    const limit = rateLimit({
      points: 5,
      durationMs: 60_000,
      redis: client,
      keyPrefix: prefix(),
      policyName: 'refund-fail',
      keyBy: () => 'user-2',
      skipSuccessfulRequests: true,
      storeTimeoutMs: 5_000,
      logger: false,
    });
    const seen = record(limit);
    // the count goes through, the refund script (its own EVALSHA / EVAL) fails
    let n = 0;
    gate.failIf = (cmd) => /\r\nevalsha\r\n|\r\neval\r\n/i.test(cmd) && ++n > 1;
    expect((await request(app(limit)).get('/')).status).toBe(200);
    await waitFor(() => seen.some(([e]) => e === 'onRefunded'), { what: 'the refund' });
    expect(seen).toEqual([
      ['onAllowed', { policy: 'refund-fail', remaining: 4 }],
      ['onRefunded', { policy: 'refund-fail', cost: 1, refunded: false }],
    ]);
    await limit.close();
  });

  it('blockDurationMs with refunds on: the key over the limit is blocked in Redis for the block duration', async () => {
    const keyPrefix = prefix();
    const limit = rateLimit({
      points: 1,
      durationMs: 60_000,
      blockDurationMs: 300_000,
      redis: r.redis,
      keyPrefix,
      skipFailedRequests: true,
      storeTimeoutMs: 5_000,
      logger: false,
    });
    const a = app(limit);
    expect((await request(a).get('/')).status).toBe(200);
    const over = await request(a).get('/');
    expect(over.status).toBe(429);
    expect(over.headers['retry-after']).toMatch(/^(299|300)$/);
    const keys = await r.admin.keys(`${keyPrefix}*`);
    expect(keys).toHaveLength(1);
    const ttl = await r.admin.pttl(keys[0] as string);
    expect(ttl).toBeGreaterThan(290_000);
    expect(ttl).toBeLessThanOrEqual(300_000);
    await limit.close();
  });
});

describe('rateLimit: counts of one turn summed (coalesced) on Redis', () => {
  it('each request gets the counter as it stood after its own cost; the one over is refused', async () => {
    const client = await gated();
    const limit = rateLimit({
      points: 5,
      durationMs: 60_000,
      redis: client,
      keyPrefix: prefix(),
      policyName: 'turn',
      cost: (req) => Number((req as unknown as { cost: number }).cost),
      storeTimeoutMs: 5_000,
      logger: false,
    });
    const seen = record(limit);
    let scripts = 0;
    gate.failIf = (cmd) => {
      if (/^\*\d+\r\n\$\d+\r\neval(sha)?\r\n/i.test(cmd)) scripts++;
      return false;
    };
    const costs = [2, 1, 2, 1];
    const outcomes = await Promise.all(
      costs.map((cost) => call(limit, { ...fakeReq('198.51.100.7'), cost })),
    );
    expect(outcomes.map((o) => [o.next, o.res.statusCode])).toEqual([
      [true, 200],
      [true, 200],
      [true, 200],
      [false, 429],
    ]);
    expect(outcomes.map((o) => o.res.getHeader('ratelimit'))).toEqual([
      '"turn";r=3;t=60',
      '"turn";r=2;t=60',
      '"turn";r=0;t=60',
      '"turn";r=0;t=60',
    ]);
    expect(
      outcomes.map((o) => (o.req.rateLimit as { remaining: number } | undefined)?.remaining),
    ).toEqual([3, 2, 0, 0]);
    expect(seen.map(([n, v]) => [n, (v as { remaining?: number }).remaining])).toEqual([
      ['onAllowed', 3],
      ['onAllowed', 2],
      ['onAllowed', 0],
      ['onLimited', undefined],
    ]);
    // one script call for the four (a second client's count in the same turn is its own)
    expect(scripts).toBe(1);
    const other = await Promise.all([
      call(limit, { ...fakeReq('198.51.100.8'), cost: 1 }),
      call(limit, { ...fakeReq('198.51.100.9'), cost: 5 }),
    ]);
    expect(other.map((o) => o.res.getHeader('ratelimit'))).toEqual([
      '"turn";r=4;t=60',
      '"turn";r=0;t=60',
    ]);
    expect(scripts).toBe(3);
    await limit.close();
  });
});

describe('rateLimit: limiters that block count one by one (not summed per turn)', () => {
  it.each([
    ['blockDurationMs', { blockDurationMs: 300_000 }, '300'],
    ['inMemoryBlockOnConsumed', { inMemoryBlockOnConsumed: 2 }, /^(59|60)$/],
  ] as const)('%s: one script call per request of a turn', async (_name, extra, retryAfter) => {
    const client = await gated();
    const limit = rateLimit({
      points: 2,
      durationMs: 60_000,
      redis: client,
      keyPrefix: prefix(),
      storeTimeoutMs: 5_000,
      logger: false,
      ...extra,
    });
    let scripts = 0;
    gate.failIf = (cmd) => {
      if (/^\*\d+\r\n\$\d+\r\neval(sha)?\r\n/i.test(cmd)) scripts++;
      return false;
    };
    const outcomes = await Promise.all([1, 2, 3].map(() => call(limit, fakeReq('192.0.2.50'))));
    expect(outcomes.map((o) => o.res.statusCode)).toEqual([200, 200, 429]);
    expect(String(outcomes[2]?.res.getHeader('retry-after'))).toMatch(retryAfter);
    expect(scripts).toBe(3);
    await limit.close();
  });
});

describe('rateLimit in memory: refunds, several limiters, minimal responses', () => {
  it('a refund gives back at most what the window holds, never after the window ended', async () => {
    jest.useFakeTimers({
      now: 5_000_000,
      doNotFake: [
        'hrtime',
        'nextTick',
        'performance',
        'queueMicrotask',
        'setImmediate',
        'clearImmediate',
        'setInterval',
        'clearInterval',
        'setTimeout',
        'clearTimeout',
      ],
    });
    try {
      const limit = rateLimit({
        points: 5,
        durationMs: 60_000,
        policyName: 'mem-refund',
        keyBy: () => 'u',
        cost: (req) => Number((req as unknown as { cost: number }).cost),
        skipFailedRequests: true,
        logger: false,
      });
      const seen = record(limit);
      const req = (cost: number) => ({ ...fakeReq('x'), cost });
      await call(limit, req(1));
      const failed = await call(limit, req(3));
      expect(failed.res.getHeader('ratelimit')).toBe('"mem-refund";r=1;t=60');
      failed.res.statusCode = 500;
      failed.res.emit('finish');
      await waitFor(() => seen.at(-1)?.[0] === 'onRefunded', { what: 'the refund' });
      expect(seen.at(-1)).toEqual([
        'onRefunded',
        { policy: 'mem-refund', cost: 3, refunded: true },
      ]);
      const next = await call(limit, req(1));
      expect(next.res.getHeader('ratelimit')).toBe('"mem-refund";r=3;t=60');
      // a refund after its window has ended is refused
      const late = await call(limit, req(1));
      jest.setSystemTime(5_000_000 + 60_001);
      late.res.statusCode = 503;
      late.res.emit('close');
      await waitFor(() => seen.length === 6, { what: 'the refund' });
      expect(seen.at(-1)).toEqual([
        'onRefunded',
        { policy: 'mem-refund', cost: 1, refunded: false },
      ]);
      // nor to the next window: a request of the new window, then the old one's refund
      const old = await call(limit, req(1));
      jest.setSystemTime(5_000_000 + 2 * 60_001);
      const fresh = await call(limit, req(2));
      expect(fresh.res.getHeader('ratelimit')).toBe('"mem-refund";r=3;t=60');
      old.res.statusCode = 500;
      old.res.emit('finish');
      await waitFor(() => seen.length === 9, { what: 'the refund' });
      expect(seen.at(-1)).toEqual([
        'onRefunded',
        { policy: 'mem-refund', cost: 1, refunded: false },
      ]);
      expect((await call(limit, req(1))).res.getHeader('ratelimit')).toBe('"mem-refund";r=2;t=60');
      await limit.close();
    } finally {
      jest.useRealTimers();
    }
  });

  it('two limiters: req.rateLimit and the legacy headers are the most restrictive one (the first of equals); a response without getHeader works', async () => {
    const three = rateLimit({
      points: 3,
      durationMs: 60_000,
      policyName: 'three',
      legacyHeaders: true,
      logger: false,
    });
    const four = rateLimit({
      points: 4,
      cost: () => 2,
      durationMs: 60_000,
      policyName: 'four',
      legacyHeaders: true,
      logger: false,
    });
    const req = fakeReq('192.0.2.1') as Record<string, unknown>;
    const res = new FakeRes();
    expect((await call(three, req, res)).next).toBe(true);
    expect((await call(four, req, res)).next).toBe(true);
    // both have 2 left: the first stays
    expect(req.rateLimit).toEqual({ limit: 3, remaining: 2, resetMs: 60_000, policy: 'three' });
    expect(res.getHeader('x-ratelimit-limit')).toBe('3');
    expect(res.getHeader('x-ratelimit-remaining')).toBe('2');
    expect(res.getHeader('ratelimit')).toBe('"three";r=2;t=60, "four";r=2;t=60');
    // a response object without getHeader: each limiter sets its own
    const bare = new FakeRes() as FakeRes & { getHeader?: unknown };
    Object.defineProperty(bare, 'getHeader', { value: undefined });
    const out = await call(three, fakeReq('192.0.2.2'), bare);
    expect(out).toMatchObject({ next: true, err: undefined });
    expect(bare.headers.get('ratelimit')).toBe('"three";r=2;t=60');
    expect(bare.headers.get('x-ratelimit-remaining')).toBe('2');
  });

  it('a response that throws on setHeader reaches next(err)', async () => {
    const limit = rateLimit({ points: 3, logger: false });
    const res = new FakeRes();
    const boom = new Error('setHeader failed');
    res.setHeader = () => {
      throw boom;
    };
    const out = await call(limit, fakeReq('192.0.2.3'), res);
    expect(out.next).toBe(true);
    expect(out.err).toBe(boom);
  });

  it('skipSuccessfulRequests: a 400 is a failure (kept), a 399 a success (given back)', async () => {
    const limit = rateLimit({
      points: 5,
      durationMs: 60_000,
      policyName: 'mem-400',
      keyBy: () => 'u',
      skipSuccessfulRequests: true,
      logger: false,
    });
    const seen = record(limit);
    const failed = await call(limit, fakeReq('x'));
    const ok = await call(limit, fakeReq('x'));
    failed.res.statusCode = 400;
    failed.res.emit('finish');
    ok.res.statusCode = 399;
    ok.res.emit('finish');
    await waitFor(() => seen.some(([n]) => n === 'onRefunded'), { what: 'the refund' });
    expect(seen).toEqual([
      ['onAllowed', { policy: 'mem-400', remaining: 4 }],
      ['onAllowed', { policy: 'mem-400', remaining: 3 }],
      ['onRefunded', { policy: 'mem-400', cost: 1, refunded: true }],
    ]);
    expect((await call(limit, fakeReq('x'))).res.getHeader('ratelimit')).toBe('"mem-400";r=3;t=60');
  });

  it('points(req) without blockDurationMs: the 429 waits for the window (no block)', async () => {
    const limit = rateLimit({ points: () => 1, policyName: 'fn', logger: false });
    expect((await call(limit, fakeReq('192.0.2.30'))).next).toBe(true);
    const over = await call(limit, fakeReq('192.0.2.30'));
    expect(over.res.statusCode).toBe(429);
    expect(over.res.getHeader('retry-after')).toBe('60');
    expect(over.res.getHeader('ratelimit-policy')).toBe('"fn";q=1;w=60');
    expect(JSON.parse(over.res.body as string)).toEqual({
      type: 'https://resil.dev/problems/rate-limited',
      title: 'Too Many Requests',
      status: 429,
      detail: 'Rate limit exceeded; retry after 60 s.',
    });
  });

  it('headers: false sends no RateLimit header on an allowed request', async () => {
    const limit = rateLimit({ points: 2, headers: false, logger: false });
    const out = await call(limit, fakeReq('192.0.2.4'));
    expect(out.next).toBe(true);
    expect([...out.res.headers.keys()]).toEqual([]);
    expect(out.req.rateLimit).toEqual({
      limit: 2,
      remaining: 1,
      resetMs: 60_000,
      policy: 'default',
    });
  });

  it('a request without req.app (another framework) and with X-Forwarded-For: warned, counted', async () => {
    const { seen: logged, logger } = logs();
    const limit = rateLimit({ points: 2, policyName: 'no-app', logger });
    const out = await call(limit, {
      ip: '192.0.2.5',
      headers: { 'x-forwarded-for': '203.0.113.1' },
    });
    expect(out).toMatchObject({ next: true, err: undefined });
    expect(out.res.getHeader('ratelimit')).toBe('"no-app";r=1;t=60');
    const noGet = { ip: '192.0.2.5', headers: { 'x-forwarded-for': '203.0.113.1' }, app: {} };
    expect(await call(limit, noGet)).toMatchObject({ next: true, err: undefined });
    expect(logged).toEqual([
      [
        'warn',
        "rate limit: requests carry X-Forwarded-For but Express 'trust proxy' is not set; clients are keyed by the connecting address (set 'trust proxy' to your proxies to key by client)",
        { event: 'trust-proxy-unset', policy: 'no-app' },
      ],
    ]);
  });

  it('resetKey takes a string', async () => {
    const limit = rateLimit({ logger: false });
    await expect(limit.resetKey(42 as never)).rejects.toThrow(
      new TypeError('rateLimit: resetKey(key) takes a string'),
    );
  });

  it('option errors name the option with exact messages', () => {
    const err = (o: object) => {
      try {
        rateLimit({ logger: false, ...o });
      } catch (e) {
        return e;
      }
      return undefined;
    };
    const d = err({ durationMs: 1500 });
    expect(d).toBeInstanceOf(OptionRangeError);
    expect(d).toMatchObject({
      option: 'durationMs',
      message: 'rateLimit: durationMs must be a whole number of seconds (a multiple of 1000)',
    });
    const b = err({ blockDurationMs: 2500 });
    expect(b).toBeInstanceOf(OptionRangeError);
    expect(b).toMatchObject({
      option: 'blockDurationMs',
      message: 'rateLimit: blockDurationMs must be a whole number of seconds (a multiple of 1000)',
    });
    const f = err({ points: () => 1, inMemoryBlockOnConsumed: 5 });
    expect(f).toBeInstanceOf(OptionTypeError);
    expect(f).toMatchObject({
      code: CORE_ERROR_CODES.OPTION_TYPE,
      option: 'inMemoryBlockOnConsumed',
      message: 'rateLimit: inMemoryBlockOnConsumed needs a number of points (not a function)',
    });
  });
});
