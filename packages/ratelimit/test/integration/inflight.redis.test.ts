// Issue #21: the inbound middleware's own bookkeeping of counts in flight (a ring of counts in
// deadline order instead of one deadline entry each, and the insurance asked by the middleware
// instead of by rate-limiter-flexible's consume). What must hold: every request is answered exactly
// once, by Redis or by the insurance, however many are in flight and in whatever order they end.
import { createHash } from 'node:crypto';
import { CORE_ERROR_CODES } from '@resil/core';
import { startRedisServer, waitFor } from '@resil/testkit';
import type { NextFunction, Request, Response } from 'express';
import { Redis } from 'ioredis';
import { rateLimit } from '../../src';
import type { StoreErrorEvent } from '../../src/types';
import { dropClient, kindClient } from '../helpers';

/** A request as the middleware reads it, and a response that records what was sent. */
function call(mw: ReturnType<typeof rateLimit>, ip = '10.0.0.1') {
  const req = { method: 'GET', headers: {}, ip, app: { get: () => false } } as unknown as Request;
  const sent: number[] = [];
  const headers = new Map<string, string>();
  const res: Record<string, unknown> & { statusCode: number } = {
    statusCode: 200,
    once() {
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
  return { done, req, sent, next: () => nexts };
}

/** The Redis key of a client key, as the middleware names it (see the README's key layout). */
const storeKey = (points: number, durationS: number, key: string) =>
  `resil:ratelimit:in:default:q${points}w${durationS}:${createHash('sha256').update(key).digest('base64url').slice(0, 22)}`;

describe('inbound counts in flight on a private redis-server', () => {
  it('300 requests in flight on a paused Redis: each answered once by the insurance; the late replies change nothing', async () => {
    const server = await startRedisServer();
    const client = kindClient(server.url, { maxRetriesPerRequest: 1 });
    const admin = new Redis(server.url);
    const errors: StoreErrorEvent[] = [];
    const mw = rateLimit({
      points: 1000,
      durationMs: 60_000,
      redis: client,
      storeTimeoutMs: 100,
      logger: false,
    });
    mw.onStoreError((e) => errors.push(e));
    try {
      await call(mw).done; // connected, counted in Redis
      // WRITE: scripts wait, this connection's GET and UNPAUSE do not
      await admin.client('PAUSE', 60_000, 'WRITE');
      // more than the ring's first size (128), so it grows while counts wait
      const calls = Array.from({ length: 300 }, () => call(mw));
      await Promise.all(calls.map((c) => c.done));
      for (const c of calls) {
        expect(c.next()).toBe(1);
        expect(c.sent).toEqual([]);
        expect(c.req.rateLimit).toMatchObject({ limit: 1000, remaining: expect.any(Number) });
      }
      expect(errors).toHaveLength(300);
      expect(errors.every((e) => e.insurance && e.code === CORE_ERROR_CODES.REDIS_TIMEOUT)).toBe(
        true,
      );
      // Redis answers the 300 counts late: they are counted there, and nobody is answered twice
      await admin.client('UNPAUSE');
      await waitFor(async () => (await admin.get(storeKey(1000, 60, '10.0.0.1'))) === '301', {
        timeoutMs: 10_000,
        what: 'Redis to count the late requests',
      });
      const after = call(mw);
      await after.done; // after the late replies on the same connection
      expect(after.next()).toBe(1);
      expect(calls.every((c) => c.next() === 1 && c.sent.length === 0)).toBe(true);
      expect(errors).toHaveLength(300);
    } finally {
      await admin.client('UNPAUSE').catch(() => undefined);
      await mw.close();
      dropClient(client);
      admin.disconnect();
      await server.stop();
    }
  });

  it.each([
    ['counted by rate-limiter-flexible', false],
    ['counted with refunds', true],
  ])(
    'a count that fails in Redis (%s) goes to the insurance once per request, and only then',
    async (_name, refunds) => {
      const server = await startRedisServer();
      const client = kindClient(server.url, { maxRetriesPerRequest: 1 });
      const admin = new Redis(server.url);
      const errors: StoreErrorEvent[] = [];
      const make = (onStoreError: 'insurance' | 'allow') => {
        const mw = rateLimit({
          points: 5,
          durationMs: 60_000,
          redis: client,
          keyBy: () => 'client',
          onStoreError,
          skipFailedRequests: refunds,
          logger: false,
        });
        mw.onStoreError((e) => errors.push(e));
        return mw;
      };
      const insured = make('insurance');
      const allowing = make('allow');
      try {
        // the count's script fails on this key (WRONGTYPE): a store failure, Redis still up
        await admin.hset(storeKey(5, 60, 'client'), 'x', '1');
        const outcomes: string[] = [];
        for (let i = 0; i < 7; i++) {
          const c = call(insured);
          await c.done;
          outcomes.push(c.next() === 1 ? 'next' : String(c.sent[0]));
        }
        // the insurance's 5 (one count per request there), then its 429s
        expect(outcomes).toEqual(['next', 'next', 'next', 'next', 'next', '429', '429']);
        expect(errors.map((e) => e.insurance)).toEqual(Array(7).fill(true));
        errors.length = 0;
        const through: number[] = [];
        for (let i = 0; i < 7; i++) {
          const c = call(allowing);
          await c.done;
          through.push(c.next());
        }
        expect(through).toEqual(Array(7).fill(1));
        expect(errors.map((e) => e.insurance)).toEqual(Array(7).fill(false));
      } finally {
        await insured.close();
        await allowing.close();
        dropClient(client);
        admin.disconnect();
        await server.stop();
      }
    },
  );
});
