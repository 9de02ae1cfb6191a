// Issue #21: counts of one client that arrive in the same turn of the event loop go to Redis as
// ONE script call of their summed cost. What must hold, whatever the batch: Redis counts exactly
// what separate counts would have counted, the same requests are allowed and refused, each with
// the remaining count it would have had alone (in arrival order), different clients are never
// summed, and a batch the store fails sends each of its requests to the insurance once.
import { createHash } from 'node:crypto';
import { startRedisServer } from '@resil/testkit';
import type { NextFunction, Request, Response } from 'express';
import { Redis } from 'ioredis';
import { type RateLimitOptions, rateLimit } from '../../src';
import type { StoreErrorEvent } from '../../src/types';
import { dropClient, kindClient } from '../helpers';

/** A request as the middleware reads it, and a response that records what was sent. */
function call(mw: ReturnType<typeof rateLimit>, ip = '10.0.0.1', extra: object = {}) {
  const req = {
    method: 'GET',
    headers: {},
    ip,
    app: { get: () => false },
    ...extra,
  } as unknown as Request & { rateLimit?: { remaining: number } };
  const sent: number[] = [];
  const headers = new Map<string, string>();
  const res: Record<string, unknown> & { statusCode: number } = {
    statusCode: 200,
    once() {
      return this;
    },
    on() {
      return this;
    },
    setHeader: (n: string, v: string) => headers.set(n.toLowerCase(), v),
    getHeader: (n: string) => headers.get(n.toLowerCase()),
    status(code: number) {
      this.statusCode = code;
      return this;
    },
    type() {
      return this;
    },
    set() {
      return this;
    },
    send() {
      sent.push(this.statusCode);
      return this;
    },
    end() {
      sent.push(this.statusCode);
      return this;
    },
  };
  let nexts = 0;
  const next: NextFunction = (err?: unknown) => {
    if (err) throw err;
    nexts++;
  };
  const done = mw(req, res as unknown as Response, next) as unknown as Promise<void>;
  return { done, req, sent, headers, next: () => nexts };
}

const storeKey = (points: number, durationS: number, key: string) =>
  `resil:ratelimit:in:default:q${points}w${durationS}:${createHash('sha256').update(key).digest('base64url').slice(0, 22)}`;

/** Script calls (EVAL and EVALSHA) the server has run so far. */
async function scriptCalls(admin: Redis): Promise<number> {
  const info = await admin.info('commandstats');
  let n = 0;
  for (const m of info.matchAll(/^cmdstat_(?:eval|evalsha):calls=(\d+)/gm)) n += Number(m[1]);
  return n;
}

describe('same-turn counts of one client on a private redis-server', () => {
  let server: Awaited<ReturnType<typeof startRedisServer>>;
  let admin: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    admin.disconnect();
    await server.stop();
  });

  async function limiter(o: RateLimitOptions, client = kindClient(server.url)) {
    const mw = rateLimit({ durationMs: 60_000, redis: client, logger: false, ...o });
    // connected and the script loaded, on a client of its own
    await call(mw, '10.9.9.9').done;
    return {
      mw,
      close: async () => {
        await mw.close?.();
        dropClient(client);
      },
    };
  }

  it('12 requests in one turn, 5 allowed: one script call, the first 5 allowed with 4..0 left, Redis counts 12', async () => {
    const { mw, close } = await limiter({ points: 5 });
    try {
      const before = await scriptCalls(admin);
      const calls = Array.from({ length: 12 }, () => call(mw, '10.0.0.1'));
      await Promise.all(calls.map((c) => c.done));
      expect(await scriptCalls(admin)).toBe(before + 1);
      expect(calls.map((c) => c.next())).toEqual([1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
      expect(calls.map((c) => c.sent[0])).toEqual([
        ...Array(5).fill(undefined),
        ...Array(7).fill(429),
      ]);
      expect(calls.slice(0, 5).map((c) => c.req.rateLimit?.remaining)).toEqual([4, 3, 2, 1, 0]);
      expect(calls.slice(0, 5).map((c) => c.headers.get('ratelimit'))).toEqual(
        [4, 3, 2, 1, 0].map((r) => expect.stringContaining(`r=${r};`)),
      );
      expect(await admin.get(storeKey(5, 60, '10.0.0.1'))).toBe('12');
      // the next turn continues from the shared counter: refused
      const after = call(mw, '10.0.0.1');
      await after.done;
      expect(after.sent).toEqual([429]);
    } finally {
      await close();
    }
  });

  it('different clients in one turn are counted apart (one call each), never summed', async () => {
    const { mw, close } = await limiter({ points: 3 });
    try {
      const before = await scriptCalls(admin);
      const ips = ['10.1.0.1', '10.1.0.2', '10.1.0.3'];
      const calls = ips.flatMap((ip) => Array.from({ length: 4 }, () => ({ ip, c: call(mw, ip) })));
      await Promise.all(calls.map(({ c }) => c.done));
      expect(await scriptCalls(admin)).toBe(before + 3);
      for (const ip of ips) {
        const mine = calls.filter((x) => x.ip === ip).map((x) => x.c);
        expect(mine.map((c) => c.next())).toEqual([1, 1, 1, 0]);
        expect(mine.slice(0, 3).map((c) => c.req.rateLimit?.remaining)).toEqual([2, 1, 0]);
        expect(await admin.get(storeKey(3, 60, ip))).toBe('4');
      }
    } finally {
      await close();
    }
  });

  it('costs in one turn: a request too big for what is left is refused, a later smaller one is still refused (as one by one: every count counts)', async () => {
    const costs = [3, 3, 3, 1];
    const { mw, close } = await limiter({
      points: 7,
      cost: (req) => (req as unknown as { cost?: number }).cost ?? 1,
    });
    try {
      const calls = costs.map((cost) => call(mw, '10.2.0.1', { cost }));
      await Promise.all(calls.map((c) => c.done));
      // one by one: 3 (left 4), 6 (left 1), 9 > 7 refused, 10 > 7 refused
      expect(calls.map((c) => c.next())).toEqual([1, 1, 0, 0]);
      expect(calls.slice(0, 2).map((c) => c.req.rateLimit?.remaining)).toEqual([4, 1]);
      expect(await admin.get(storeKey(7, 60, '10.2.0.1'))).toBe('10');
    } finally {
      await close();
    }
  });

  it('points(req) per request: each request of the batch is held to its own quota', async () => {
    const { mw, close } = await limiter({
      points: (req) => (req as unknown as { quota?: number }).quota ?? 100,
    });
    try {
      // counter after each: 1, 2, 3, 4; quotas 10, 1, 10, 3
      const calls = [10, 1, 10, 3].map((quota) => call(mw, '10.3.0.1', { quota }));
      await Promise.all(calls.map((c) => c.done));
      expect(calls.map((c) => c.next())).toEqual([1, 0, 1, 0]);
      expect(calls[0]?.req.rateLimit?.remaining).toBe(9);
      expect(calls[2]?.req.rateLimit?.remaining).toBe(7);
    } finally {
      await close();
    }
  });

  it("under a test's fake timers (the global setImmediate replaced), a turn's counts are still sent and answered", async () => {
    // ioredis whatever RESIL_REDIS_CLIENT says: node-redis schedules its own writes with the global
    // timers, so under fake timers it waits for them whatever this package does
    const { mw, close } = await limiter({ points: 5 }, new Redis(server.url));
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    try {
      const calls = Array.from({ length: 3 }, () => call(mw, '10.5.0.1'));
      await Promise.all(calls.map((c) => c.done));
      expect(calls.map((c) => c.next())).toEqual([1, 1, 1]);
      expect(calls.map((c) => c.req.rateLimit?.remaining)).toEqual([4, 3, 2]);
    } finally {
      jest.useRealTimers();
      await close();
    }
  });

  it('a batch the store fails: each request goes to the insurance once and is answered once', async () => {
    const { mw, close } = await limiter({ points: 100 });
    const errors: StoreErrorEvent[] = [];
    mw.onStoreError((e) => errors.push(e));
    try {
      // a hash where the counter should be: the script fails (WRONGTYPE) for this client only
      await admin.hset(storeKey(100, 60, '10.4.0.1'), 'x', '1');
      const calls = Array.from({ length: 6 }, () => call(mw, '10.4.0.1'));
      await Promise.all(calls.map((c) => c.done));
      expect(calls.map((c) => c.next())).toEqual([1, 1, 1, 1, 1, 1]);
      expect(calls.every((c) => c.sent.length === 0)).toBe(true);
      expect(errors).toHaveLength(6);
      expect(errors.every((e) => e.insurance)).toBe(true);
    } finally {
      await close();
    }
  });
});
