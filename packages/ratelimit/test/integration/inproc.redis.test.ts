// Both limiters against the shared test Redis, in this process, under this file's own key prefix:
// the Redis paths that the per-mutant Stryker run can afford (no Cluster, no worker processes,
// no redis-server of its own). A Redis that is not there is a client to a free port with nothing
// listening (no server is stopped).

import { clientStatus, noopLogger, type RedisClient, sharedClients } from '@resil/core';
import { freePort, isIoredisRun, untilReady, useRedis, waitFor } from '@resil/testkit';
import express from 'express';
import request from 'supertest';
import { createRateLimiter, RateLimitTimeoutError, rateLimit } from '../../src';
import { dropClient, keysOf, kindClient } from '../helpers';

const r = useRedis('ratelimit-inproc');
let seq = 0;
const prefix = () => `${r.prefix}${++seq}:`;

async function deadClient(): Promise<RedisClient> {
  const port = await freePort();
  const c = kindClient(`redis://127.0.0.1:${port}`, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    reconnectMs: false,
  });
  // node-redis connects at once: its connection has failed for good once it is closed
  if (!isIoredisRun())
    await waitFor(() => clientStatus(c) === 'end', { timeoutMs: 5_000, what: 'connect failed' });
  return c;
}

const keysUnder = (p: string) => keysOf(r.admin, p);

describe('createRateLimiter on the shared Redis (in process)', () => {
  it('two limiters of one name on two clients share one budget; the state sits in two keys of one slot', async () => {
    const keyPrefix = prefix();
    const other = r.client();
    // connected first, and a wide command timeout: a loaded machine must not send a call to the
    // in-memory fallback (which starts with a quarantine)
    await Promise.all([untilReady(r.redis), untilReady(other)]);
    try {
      const opts = {
        name: 'up',
        points: 3,
        burst: 3,
        durationMs: 60_000,
        keyPrefix,
        commandTimeoutMs: 5_000,
        logger: false as const,
      };
      const a = createRateLimiter({ ...opts, redis: r.redis });
      const b = createRateLimiter({ ...opts, redis: other });
      expect(a.storage).toBe('redis');
      const got = [
        await a.tryAcquire(),
        await b.tryAcquire(),
        await a.tryAcquire(),
        await b.tryAcquire(),
        await a.tryAcquire(),
      ];
      expect(got).toEqual([true, true, true, false, false]);
      expect(a.degraded).toBe(false);
      expect(await keysUnder(keyPrefix)).toEqual([
        `${keyPrefix}{ratelimit:up}:gcra`,
        `${keyPrefix}{ratelimit:up}:log`,
      ]);
      // another name is another budget
      const c = createRateLimiter({ ...opts, name: 'down', redis: r.redis });
      expect(await c.tryAcquire(3)).toBe(true);
      // burst 1: one at once, the next a spacing (20 s) later
      const d = createRateLimiter({ ...opts, name: 'spaced', burst: 1, redis: r.redis });
      expect(await d.tryAcquire()).toBe(true);
      expect(await d.tryAcquire()).toBe(false);
      expect(await c.tryAcquire()).toBe(false);
    } finally {
      dropClient(other);
    }
  });

  it('acquire: a token further than timeoutMs rejects at once with the wait; within it, waits and gets it', async () => {
    const limiter = createRateLimiter({
      name: 'wait',
      points: 2,
      durationMs: 2_000,
      redis: r.redis,
      keyPrefix: prefix(),
      commandTimeoutMs: 5_000,
      logger: false,
    });
    // The next slot is one spacing (1 s x 1.05) after the first grant, which Redis's clock put
    // after `before`: whatever a loaded machine's stalls, what is left of it at any later moment
    // is at least 1050 ms minus the time since `before` (2 ms for rounding).
    const before = performance.now();
    await limiter.acquire();
    const err = await limiter.acquire({ timeoutMs: 0 }).catch((e: unknown) => e);
    const refusedBy = performance.now();
    expect(err).toBeInstanceOf(RateLimitTimeoutError);
    expect((err as RateLimitTimeoutError).waitMs).toBeGreaterThanOrEqual(
      1_050 - (refusedBy - before) - 2,
    );
    expect((err as RateLimitTimeoutError).waitMs).toBeLessThanOrEqual(1_050);
    // the refused attempt took nothing: the next one is granted at that same slot
    const start = performance.now();
    await limiter.acquire({ timeoutMs: 10_000 });
    expect(performance.now() - start).toBeGreaterThanOrEqual(1_050 - (start - before) - 2);
    expect(limiter.waiting).toBe(0);
  });

  it('a cost counts as that many units in Redis', async () => {
    const limiter = createRateLimiter({
      name: 'cost',
      points: 5,
      durationMs: 60_000,
      burst: 5,
      redis: r.redis,
      keyPrefix: prefix(),
      commandTimeoutMs: 5_000,
      logger: false,
    });
    expect(await limiter.tryAcquire(4)).toBe(true);
    expect(await limiter.tryAcquire(2)).toBe(false);
    expect(await limiter.tryAcquire(1)).toBe(true);
    expect(await limiter.tryAcquire(1)).toBe(false);
  });

  it('Redis not there: degraded, logged once, and nothing from memory during the quarantine', async () => {
    const warnings: string[] = [];
    const logger = { ...noopLogger, warn: (m: string) => warnings.push(m) };
    const limiter = createRateLimiter({
      name: 'dead',
      points: 10,
      durationMs: 60_000,
      redis: await deadClient(),
      keyPrefix: prefix(),
      logger,
    });
    expect(limiter.degraded).toBe(false);
    expect(await limiter.tryAcquire()).toBe(false);
    expect(limiter.degraded).toBe(true);
    expect(await limiter.tryAcquire()).toBe(false);
    expect(warnings).toEqual(['rate limiter: Redis unavailable, limiting in this process']);
    const err = await limiter.acquire({ timeoutMs: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitTimeoutError);
  });

  it('a URL: the limiter makes its own client, shares the budget, and close() ends it', async () => {
    const keyPrefix = prefix();
    const opts = {
      name: 'url',
      points: 1,
      durationMs: 60_000,
      keyPrefix,
      commandTimeoutMs: 5_000,
      logger: false as const,
    };
    const leased = sharedClients.refs(r.url);
    const fromUrl = createRateLimiter({ ...opts, redis: r.url });
    const mine = createRateLimiter({ ...opts, redis: r.redis });
    expect(sharedClients.refs(r.url)).toBe(leased + 1);
    expect(fromUrl.storage).toBe('redis');
    expect(await fromUrl.tryAcquire()).toBe(true);
    expect(await mine.tryAcquire()).toBe(false);
    const client = sharedClients.acquire(r.url);
    await client.release();
    await fromUrl.close();
    // its client is released (the last lease quits it): Redis is no longer used (it falls back, degraded)
    expect(sharedClients.refs(r.url)).toBe(leased);
    if (leased === 0) expect(client.client.status).toBe('end');
    expect(await fromUrl.tryAcquire()).toBe(false); // memory, fenced like after an outage
    expect(fromUrl.degraded).toBe(true);
    await mine.close(); // a client passed in stays the caller's
    expect(clientStatus(r.redis)).toBe('ready');
    expect(mine.degraded).toBe(true); // closed: it limits in memory from now on
  });
});

function app(limit: ReturnType<typeof rateLimit>) {
  const a = express();
  a.use(limit);
  a.get('/', (_req, res) => {
    res.send('ok');
  });
  return a;
}

describe('rateLimit on the shared Redis (in process)', () => {
  it('counts in Redis under a hashed key named by policy, quota and window', async () => {
    const keyPrefix = prefix();
    const limit = rateLimit({
      points: 2,
      durationMs: 60_000,
      redis: r.redis,
      keyPrefix,
      keyBy: () => 'patient-42',
      storeTimeoutMs: 5_000,
      logger: false,
    });
    const a = app(limit);
    expect((await request(a).get('/')).headers.ratelimit).toMatch(/^"default";r=1;t=(59|60)$/);
    expect((await request(a).get('/')).status).toBe(200);
    const over = await request(a).get('/');
    expect(over.status).toBe(429);
    expect(over.headers['retry-after']).toMatch(/^(59|60)$/);
    const keys = await keysUnder(keyPrefix);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(
      new RegExp(
        `^${keyPrefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}ratelimit:in:default:q2w60:[A-Za-z0-9_-]{22}$`,
      ),
    );
    expect(keys[0]).not.toContain('patient');
    expect(await r.admin.get(keys[0] as string)).toBe('3');
  });

  it('a URL: the middleware makes its own client and close() ends it', async () => {
    const keyPrefix = prefix();
    const limit = rateLimit({
      points: 1,
      durationMs: 60_000,
      redis: r.url,
      keyPrefix,
      storeTimeoutMs: 5_000,
      logger: false,
    });
    const a = app(limit);
    expect((await request(a).get('/')).status).toBe(200);
    expect((await request(a).get('/')).status).toBe(429);
    expect(await keysUnder(keyPrefix)).toHaveLength(1);
    await limit.close();
  });

  it.each([
    ['deny', [503, 503]],
    ['allow', [200, 200, 200]],
    ['insurance', [200, 200, 429]],
  ] as const)('Redis not there, onStoreError %s', async (onStoreError, expected) => {
    const warnings: string[] = [];
    const limit = rateLimit({
      points: 4,
      expectedWorkers: 2,
      durationMs: 60_000,
      redis: await deadClient(),
      keyPrefix: prefix(),
      onStoreError,
      storeTimeoutMs: 5_000,
      logger: { ...noopLogger, warn: (m) => warnings.push(m) },
    });
    const a = app(limit);
    const statuses: number[] = [];
    for (let i = 0; i < expected.length; i++) {
      const res = await request(a).get('/');
      statuses.push(res.status);
      if (res.status === 503) {
        expect(res.headers['retry-after']).toBe('1');
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(JSON.parse(res.text)).toEqual({
          type: 'https://resil.dev/problems/rate-limit-unavailable',
          title: 'Service Unavailable',
          status: 503,
          detail: 'The rate limit could not be checked; retry shortly.',
        });
      }
      if (res.status === 429) expect(res.headers.ratelimit).toMatch(/^"default";r=0;t=/);
    }
    expect(statuses).toEqual(expected);
    const what = {
      deny: 'refusing requests',
      allow: 'allowing requests',
      insurance: 'limiting in this process',
    }[onStoreError];
    expect(warnings).toEqual([`rate limit: store unavailable, ${what}`]);
  });
});
