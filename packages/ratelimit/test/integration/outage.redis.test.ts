import { clientStatus, noopLogger } from '@resil/core';
import { maxInWindow, startRedisServer, waitFor } from '@resil/testkit';
import express from 'express';
import { Redis } from 'ioredis';
import request from 'supertest';
import { createRateLimiter, ERROR_CODES, rateLimit } from '../../src';
import { dropClient, kindClient, LOADED_MACHINE_MARGIN } from '../helpers';

describe('rate limits on a private redis-server that stops and pauses', () => {
  it('Redis stopped: outbound grants nothing from memory for two windows, then points / expectedWorkers per window; inbound falls back to the insurance at once; logged once', async () => {
    const server = await startRedisServer();
    const client = kindClient(server.url, { maxRetriesPerRequest: 1, reconnectMs: 200 });
    const warnings: string[] = [];
    const logger = { ...noopLogger, warn: (m: string) => warnings.push(m) };
    try {
      const limiter = createRateLimiter({
        name: 'outage',
        points: 40,
        durationMs: 1000,
        expectedWorkers: 4,
        // grants are observed late under load: the window the test counts in must allow for it
        margin: LOADED_MACHINE_MARGIN,
        redis: client,
        logger,
      });
      const app = express();
      app.use(
        rateLimit({ points: 6, durationMs: 60_000, expectedWorkers: 2, redis: client, logger }),
      );
      app.get('/', (_req, res) => {
        res.send('ok');
      });
      await limiter.acquire();
      expect((await request(app).get('/')).status).toBe(200);

      await server.stop();
      const stoppedAt = performance.now();
      await waitFor(() => clientStatus(client) !== 'ready', {
        timeoutMs: 5_000,
        what: 'the client to notice',
      });
      // inbound: the insurance allows 3 (6 / 2) in this process, at once
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await request(app).get('/')).status);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      // outbound: a caller less patient than the quarantine (two windows of 1000 ms x (1 + margin)) is refused at once
      const early = await limiter.acquire({ timeoutMs: 500 }).catch((e: unknown) => e);
      expect(early).toMatchObject({ code: ERROR_CODES.TIMEOUT });
      expect(limiter.degraded).toBe(true);
      // a cost above the share (10) cannot be granted from memory: refused, not waited for
      const big = await limiter.acquire({ cost: 11, timeoutMs: 10_000 }).catch((e: unknown) => e);
      expect(big).toMatchObject({ code: ERROR_CODES.TIMEOUT, waitMs: Number.POSITIVE_INFINITY });
      // then 10 per second in this process (40 / 4), none before the quarantine is over
      const times = await Promise.all(
        Array.from({ length: 12 }, () =>
          limiter.acquire({ timeoutMs: 10_000 }).then(() => performance.now()),
        ),
      );
      expect(Math.min(...times) - stoppedAt).toBeGreaterThanOrEqual(
        2 * 1000 * (1 + LOADED_MACHINE_MARGIN),
      );
      expect(maxInWindow(times, 1000)).toBeLessThanOrEqual(10);
      expect(warnings.filter((w) => w.startsWith('rate limiter: Redis unavailable'))).toHaveLength(
        1,
      );
      expect(warnings.filter((w) => w.startsWith('rate limit: store unavailable'))).toHaveLength(1);
    } finally {
      dropClient(client);
      await server.stop();
    }
  });

  it('Redis paused (CLIENT PAUSE) longer than the timeouts: answers come within the bounds', async () => {
    const server = await startRedisServer();
    const client = kindClient(server.url, { maxRetriesPerRequest: 1 });
    const admin = new Redis(server.url);
    try {
      const limiter = createRateLimiter({
        name: 'paused',
        points: 100,
        durationMs: 1000,
        redis: client,
        commandTimeoutMs: 200,
        logger: false,
      });
      const app = express();
      app.use(
        rateLimit({
          points: 100,
          durationMs: 60_000,
          redis: client,
          storeTimeoutMs: 200,
          logger: false,
        }),
      );
      app.get('/', (_req, res) => {
        res.send('ok');
      });
      expect((await request(app).get('/')).status).toBe(200);
      await limiter.acquire();
      // paused far longer than either bound, so an answer within a few seconds cannot be Redis's
      await admin.client('PAUSE', 20_000, 'ALL');
      const started = Date.now();
      expect((await request(app).get('/')).status).toBe(200);
      // the outbound caller is not kept waiting on the paused Redis: it is answered (here
      // refused: in the quarantine after losing Redis, memory grants nothing) within its bound
      const err = await limiter.acquire({ timeoutMs: 1000 }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: ERROR_CODES.TIMEOUT });
      // bounds 200 ms + 1000 ms; the rest is room for a loaded machine, far below the pause
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(limiter.degraded).toBe(true);
      // Redis answers again: the limiter goes back to it, within the quarantine
      await admin.client('UNPAUSE');
      await limiter.acquire({ timeoutMs: 5_000 });
      expect(limiter.degraded).toBe(false);
    } finally {
      await admin.client('UNPAUSE').catch(() => undefined);
      dropClient(client);
      admin.disconnect();
      await server.stop();
    }
  });

  it('a redis URL works for both: two middlewares made from the same URL share one count', async () => {
    const server = await startRedisServer();
    const made: Array<{ close(): Promise<void> }> = [];
    try {
      const app = (n: number) => {
        const a = express();
        const mw = rateLimit({
          points: 3,
          durationMs: 60_000,
          redis: server.url,
          keyBy: () => 'same',
          logger: false,
        });
        made.push(mw);
        a.use(mw);
        a.get('/', (_req, res) => {
          res.send(String(n));
        });
        return a;
      };
      const [one, two] = [app(1), app(2)];
      const statuses: number[] = [];
      for (const a of [one, two, one, two]) statuses.push((await request(a).get('/')).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const limiter = createRateLimiter({
        name: 'url',
        points: 1,
        durationMs: 60_000,
        redis: server.url,
        logger: false,
      });
      made.push(limiter);
      expect(await limiter.tryAcquire()).toBe(true);
      expect(await limiter.tryAcquire()).toBe(false);
      expect(limiter.storage).toBe('redis');
    } finally {
      for (const m of made) await m.close();
      await server.stop();
    }
  });

  it('inMemoryBlockOnConsumed: a key over it is refused from memory, without asking Redis', async () => {
    const server = await startRedisServer();
    const client = kindClient(server.url, { maxRetriesPerRequest: 1 });
    const admin = new Redis(server.url);
    const scripts = async () => {
      const info = await admin.info('commandstats');
      return (
        Number(/^cmdstat_evalsha:calls=(\d+)/m.exec(info)?.[1] ?? 0) +
        Number(/^cmdstat_eval:calls=(\d+)/m.exec(info)?.[1] ?? 0)
      );
    };
    try {
      const app = express();
      app.use(
        rateLimit({
          points: 2,
          durationMs: 60_000,
          redis: client,
          inMemoryBlockOnConsumed: 3,
          keyBy: () => 'flood',
          logger: false,
        }),
      );
      app.get('/', (_req, res) => {
        res.send('ok');
      });
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await request(app).get('/')).status);
      expect(statuses).toEqual([200, 200, 429]); // the third consumed point reaches the block
      const before = await scripts();
      for (let i = 0; i < 5; i++) expect((await request(app).get('/')).status).toBe(429);
      expect((await scripts()) - before).toBe(0);
    } finally {
      dropClient(client);
      admin.disconnect();
      await server.stop();
    }
  });
});
