// Issue #18: the outcome events of both limiters (the event contract of /work/notes/contract.md),
// each also counted through OpenTelemetry (`resilience.strategy.events` with `event.name`), on a
// real Redis: the shared one for the decisions, a private redis-server that is stopped and
// started again on its port for degraded / restored / store-error. No payload and no telemetry
// attribute ever carries a client key, an address or a key derived from them.

import { metrics } from '@opentelemetry/api';
import {
  CORE_ERROR_CODES,
  clientStatus,
  EventEmitter,
  redisCommand,
  sharedClients,
} from '@resil/core';
import { startRedisServer, untilReady, useRedis, waitFor } from '@resil/testkit';
import express from 'express';
import request from 'supertest';
import { createRateLimiter, ERROR_CODES, type RateLimitMiddleware, rateLimit } from '../../src';
import { dropClient, keysOf, kindClient } from '../helpers';

const r = useRedis('ratelimit-events');
let seq = 0;
const prefix = () => `${r.prefix}${++seq}:`;

/** A MeterProvider that records every counter add: what createTelemetry reports. */
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
const telemetryEvents = (pipeline: string) =>
  counted
    .filter(
      (c) =>
        c.instrument === 'resilience.strategy.events' &&
        c.attributes['pipeline.name'] === pipeline &&
        c.attributes['strategy.name'] === 'ratelimit',
    )
    .map((c) => c.attributes['event.name']);

/** Every payload of every event of a middleware or limiter, as JSON text. */
function record(target: Record<string, unknown>, names: string[]) {
  const seen: Array<[string, unknown]> = [];
  for (const n of names)
    (target[n] as (l: (v: unknown) => void) => unknown)((v) => seen.push([n, v]));
  return seen;
}

const CLIENT_IP = '203.0.113.77';
const USER = 'patient-4711-ssn-078-05-1120';

function app(limit: RateLimitMiddleware) {
  const a = express();
  a.set('trust proxy', true);
  a.use(limit);
  a.get('/', (_req, res) => {
    res.send('ok');
  });
  return a;
}

/** A middleware on the shared Redis that lets one request a minute through. */
const oneRequestLimit = () =>
  rateLimit({
    points: 1,
    durationMs: 60_000,
    redis: r.redis,
    keyPrefix: prefix(),
    storeTimeoutMs: 5_000,
    logger: false,
  });

const INBOUND = ['onAllowed', 'onLimited', 'onStoreError', 'onDegraded', 'onRestored'];
const OUTBOUND = ['onGranted', 'onRefused', 'onDegraded', 'onRestored'];

describe('rateLimit events (shared Redis)', () => {
  it('allowed and limited, with the policy and numbers only; each counted by telemetry', async () => {
    const limit = rateLimit({
      points: 2,
      durationMs: 60_000,
      redis: r.redis,
      keyPrefix: prefix(),
      policyName: 'ev-in',
      storeTimeoutMs: 5_000,
      logger: false,
    });
    const seen = record(limit as never, INBOUND);
    const a = app(limit);
    for (let i = 0; i < 3; i++) await request(a).get('/').set('X-Forwarded-For', CLIENT_IP);
    expect(seen).toEqual([
      ['onAllowed', { policy: 'ev-in', remaining: 1 }],
      ['onAllowed', { policy: 'ev-in', remaining: 0 }],
      ['onLimited', { policy: 'ev-in', retryAfterMs: expect.any(Number) }],
    ]);
    const limited = (seen[2] as [string, { retryAfterMs: number }])[1];
    expect(limited.retryAfterMs).toBeGreaterThan(55_000);
    expect(limited.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(telemetryEvents('ev-in')).toEqual(['allowed', 'allowed', 'limited']);
    await limit.close();
  });

  it('a disposed listener hears nothing; a throwing listener changes no response', async () => {
    const limit = oneRequestLimit();
    const heard: unknown[] = [];
    const sub = limit.onAllowed((e) => heard.push(e));
    limit.onLimited(() => {
      throw new Error('listener bug');
    });
    const a = app(limit);
    expect((await request(a).get('/')).status).toBe(200);
    sub.dispose();
    expect((await request(a).get('/')).status).toBe(429);
    expect(heard).toHaveLength(1);
    await limit.close();
  });

  it('with no listener, no payload is built (the emitter is not called)', async () => {
    const emit = jest.spyOn(EventEmitter.prototype, 'emit');
    try {
      const limit = oneRequestLimit();
      const a = app(limit);
      await request(a).get('/');
      await request(a).get('/');
      const l = createRateLimiter({
        name: 'quiet',
        points: 1,
        durationMs: 60_000,
        redis: r.redis,
        keyPrefix: prefix(),
        commandTimeoutMs: 5_000,
        logger: false,
      });
      await l.tryAcquire();
      await l.tryAcquire();
      expect(emit).not.toHaveBeenCalled();
      limit.onAllowed(() => {});
      await request(a).get('/').set('X-Forwarded-For', '198.51.100.1');
      expect(emit).toHaveBeenCalledTimes(1);
      await Promise.all([limit.close(), l.close()]);
    } finally {
      emit.mockRestore();
    }
  });
});

describe('createRateLimiter events (shared Redis)', () => {
  it('granted and refused (timeout, aborted, queue full), each counted by telemetry', async () => {
    const l = createRateLimiter({
      name: 'ev-out',
      points: 1,
      durationMs: 60_000,
      maxQueue: 1,
      redis: r.redis,
      keyPrefix: prefix(),
      commandTimeoutMs: 5_000,
      logger: false,
    });
    const seen = record(l as never, OUTBOUND);
    expect(await l.tryAcquire()).toBe(true);
    expect(await l.tryAcquire()).toBe(false);
    await expect(l.acquire({ timeoutMs: 0 })).rejects.toMatchObject({ code: ERROR_CODES.TIMEOUT });
    await expect(l.acquire({ signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: ERROR_CODES.ABORTED,
    });
    // one caller waits (it would need a minute); the next finds the queue full
    const ac = new AbortController();
    const waiting = l.acquire({ signal: ac.signal }).catch((e: unknown) => e);
    await waitFor(() => l.waiting === 1, { timeoutMs: 5_000, what: 'a waiting caller' });
    await expect(l.acquire({ cost: 1 })).rejects.toMatchObject({ code: ERROR_CODES.QUEUE_FULL });
    ac.abort();
    await waiting;
    // an argument error is the caller's mistake: no event
    await expect(l.acquire({ cost: 2 })).rejects.toThrow(RangeError);
    expect(seen).toEqual([
      ['onGranted', { name: 'ev-out', cost: 1, waitedMs: expect.any(Number) }],
      ['onRefused', { name: 'ev-out', cost: 1, code: ERROR_CODES.TIMEOUT }],
      ['onRefused', { name: 'ev-out', cost: 1, code: ERROR_CODES.TIMEOUT }],
      ['onRefused', { name: 'ev-out', cost: 1, code: ERROR_CODES.ABORTED }],
      ['onRefused', { name: 'ev-out', cost: 1, code: ERROR_CODES.QUEUE_FULL }],
      ['onRefused', { name: 'ev-out', cost: 1, code: ERROR_CODES.ABORTED }],
    ]);
    expect(telemetryEvents('ev-out')).toEqual([
      'granted',
      'refused',
      'refused',
      'refused',
      'refused',
      'refused',
    ]);
    await l.close();
  });

  it('granted after a wait reports the time waited', async () => {
    const l = createRateLimiter({
      name: 'ev-wait',
      points: 2,
      durationMs: 2_000,
      redis: r.redis,
      keyPrefix: prefix(),
      commandTimeoutMs: 5_000,
      logger: false,
    });
    const waited: number[] = [];
    l.onGranted((e) => waited.push(e.waitedMs));
    const before = performance.now();
    await l.acquire();
    const t = performance.now();
    await l.acquire({ timeoutMs: 5_000 }); // the next slot is 1050 ms after the first (5 % margin)
    const elapsed = performance.now() - t;
    expect(waited).toHaveLength(2);
    // the first grant came after `before`, so at least 1050 ms less the time since then is left
    // (2 ms for rounding), however long a loaded machine stalled in between
    expect(waited[1]).toBeGreaterThanOrEqual(1_050 - (t - before) - 2);
    expect(waited[1]).toBeLessThanOrEqual(elapsed + 1);
    await l.close();
  });
});

describe('close(): one lifecycle', () => {
  it('idempotent, also as Symbol.asyncDispose; the URL lease is released once; listeners are dropped', async () => {
    const url = r.url;
    const before = sharedClients.refs(url);
    const l = createRateLimiter({ name: 'lc', points: 1, durationMs: 1_000, redis: url });
    const mw = rateLimit({ redis: url, logger: false });
    expect(sharedClients.refs(url)).toBe(before + 2);
    const heard: unknown[] = [];
    l.onGranted((e) => heard.push(e));
    const first = l.close();
    expect(l.close()).toBe(first);
    expect(l[Symbol.asyncDispose]()).toBe(first);
    await first;
    await mw[Symbol.asyncDispose]();
    await mw.close();
    expect(sharedClients.refs(url)).toBe(before);
    await l.tryAcquire();
    expect(heard).toEqual([]);
  });
});

describe('events on a private redis-server that is stopped and started again', () => {
  it('inbound: store-error (insurance active), degraded once, restored; outbound: degraded, restored; no key or address anywhere', async () => {
    const server = await startRedisServer();
    const client = kindClient(server.url, { maxRetriesPerRequest: 1, reconnectMs: 100 });
    let restarted: Awaited<ReturnType<typeof startRedisServer>> | undefined;
    try {
      const limit = rateLimit({
        points: 4,
        durationMs: 60_000,
        redis: client,
        policyName: 'ev-outage',
        keyBy: () => USER,
        storeTimeoutMs: 2_000,
        logger: false,
      });
      const l = createRateLimiter({
        name: 'ev-outage-out',
        points: 100,
        durationMs: 1_000,
        redis: client,
        commandTimeoutMs: 2_000,
        logger: false,
      });
      const inbound = record(limit as never, INBOUND);
      const outbound = record(l as never, OUTBOUND);
      const a = app(limit);
      const get = () => request(a).get('/').set('X-Forwarded-For', CLIENT_IP);
      await untilReady(client);
      expect((await get()).status).toBe(200);
      expect(await l.tryAcquire()).toBe(true);

      await server.stop();
      await waitFor(() => clientStatus(client) !== 'ready', { timeoutMs: 5_000, what: 'the loss' });
      expect((await get()).status).toBe(200); // decided by the insurance
      expect((await get()).status).toBe(200);
      expect(await l.tryAcquire()).toBe(false); // memory, in quarantine
      const down = inbound.slice(1);
      expect(down).toEqual([
        ['onDegraded', { name: 'ev-outage', reason: 'unavailable' }],
        [
          'onStoreError',
          { policy: 'ev-outage', code: CORE_ERROR_CODES.REDIS_UNAVAILABLE, insurance: true },
        ],
        ['onAllowed', { policy: 'ev-outage', remaining: 3 }],
        [
          'onStoreError',
          { policy: 'ev-outage', code: CORE_ERROR_CODES.REDIS_UNAVAILABLE, insurance: true },
        ],
        ['onAllowed', { policy: 'ev-outage', remaining: 2 }],
      ]);
      expect(outbound.slice(1)).toEqual([
        ['onDegraded', { name: 'ev-outage-out', reason: 'unavailable' }],
        ['onRefused', { name: 'ev-outage-out', cost: 1, code: ERROR_CODES.TIMEOUT }],
      ]);
      expect(l.degraded).toBe(true);

      restarted = await startRedisServer({ port: server.port });
      await waitFor(() => clientStatus(client) === 'ready', {
        timeoutMs: 10_000,
        what: 'reconnect',
      });
      expect((await get()).status).toBe(200);
      await waitFor(
        async () => {
          await l.tryAcquire();
          return !l.degraded;
        },
        { timeoutMs: 10_000, what: 'the outbound limiter restored' },
      );
      const restoredIn = inbound.filter(([n]) => n === 'onRestored');
      expect(restoredIn).toEqual([
        ['onRestored', { name: 'ev-outage', downMs: expect.any(Number) }],
      ]);
      expect((restoredIn[0] as [string, { downMs: number }])[1].downMs).toBeGreaterThan(0);
      const restoredOut = outbound.filter(([n]) => n === 'onRestored');
      expect(restoredOut).toEqual([
        ['onRestored', { name: 'ev-outage-out', downMs: expect.any(Number) }],
      ]);
      expect(inbound.filter(([n]) => n === 'onDegraded')).toHaveLength(1);
      expect(outbound.filter(([n]) => n === 'onDegraded')).toHaveLength(1);
      expect(telemetryEvents('ev-outage')).toEqual(
        expect.arrayContaining(['store-degraded', 'store-error', 'store-restored', 'allowed']),
      );
      expect(telemetryEvents('ev-outage-out')).toEqual(
        expect.arrayContaining(['store-degraded', 'store-restored', 'granted', 'refused']),
      );

      // privacy: no payload and no telemetry attribute holds the client's address, its user
      // key, or the hashed key the middleware stores under
      const [stored] = await keysOf(client, 'resil:ratelimit:in:ev-outage:');
      const hashedKey = (stored as string).split(':').pop() as string;
      const everything = JSON.stringify([inbound, outbound, counted]);
      for (const secret of [CLIENT_IP, USER, 'patient', '078-05', hashedKey])
        expect(everything).not.toContain(secret);
      await redisCommand(client, ['DEL', stored as string]);
      await Promise.all([limit.close(), l.close()]);
    } finally {
      dropClient(client);
      await restarted?.stop();
      await server.stop();
    }
  });

  it('a paused Redis: store-error with the time-out code, decided by the insurance', async () => {
    const server = await startRedisServer();
    const client = kindClient(server.url, { maxRetriesPerRequest: 1 });
    try {
      await untilReady(client);
      const limit = rateLimit({
        points: 4,
        durationMs: 60_000,
        redis: client,
        policyName: 'paused',
        storeTimeoutMs: 100,
        logger: false,
      });
      const seen = record(limit as never, INBOUND);
      server.child.kill('SIGSTOP');
      try {
        expect((await request(app(limit)).get('/')).status).toBe(200);
      } finally {
        server.child.kill('SIGCONT');
      }
      expect(seen).toEqual([
        ['onDegraded', { name: 'paused', reason: 'timeout' }],
        [
          'onStoreError',
          { policy: 'paused', code: CORE_ERROR_CODES.REDIS_TIMEOUT, insurance: true },
        ],
        ['onAllowed', { policy: 'paused', remaining: 3 }],
      ]);
      await limit.close();
    } finally {
      dropClient(client);
      await server.stop();
    }
  });

  it("onStoreError 'allow' and 'deny': store-error without insurance", async () => {
    const server = await startRedisServer();
    const client = kindClient(server.url, { maxRetriesPerRequest: 1, reconnectMs: 100 });
    try {
      await untilReady(client);
      const made = (['allow', 'deny'] as const).map((onStoreError) =>
        rateLimit({
          points: 4,
          durationMs: 60_000,
          redis: client,
          policyName: onStoreError,
          onStoreError,
          logger: false,
        }),
      );
      const seen = made.map((m) => record(m as never, INBOUND));
      await server.stop();
      await waitFor(() => clientStatus(client) !== 'ready', { timeoutMs: 5_000, what: 'the loss' });
      expect((await request(app(made[0] as RateLimitMiddleware)).get('/')).status).toBe(200);
      expect((await request(app(made[1] as RateLimitMiddleware)).get('/')).status).toBe(503);
      for (const [i, policy] of ['allow', 'deny'].entries())
        expect(seen[i]).toEqual([
          ['onDegraded', { name: policy, reason: 'unavailable' }],
          ['onStoreError', { policy, code: CORE_ERROR_CODES.REDIS_UNAVAILABLE, insurance: false }],
        ]);
      await Promise.all(made.map((m) => m.close()));
    } finally {
      dropClient(client);
      await server.stop();
    }
  });
});
