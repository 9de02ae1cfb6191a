// A node-redis client (`redis` v5, RESP2 and RESP3), whatever RESIL_REDIS_CLIENT says: both
// limiters take it as they take ioredis, count in the same keys (a node-redis process and an
// ioredis process share one budget), and the outbound limiter sees its lost connections.

import { clientStatus, quitClient, type RedisClient, redisCommand } from '@resil/core';
import { startRedisServer, useRedis, waitFor } from '@resil/testkit';
import express from 'express';
import { createClient } from 'redis';
import request from 'supertest';
import { createRateLimiter, rateLimit } from '../../src';
import { connectionLosses } from '../../src/connection-losses';

const r = useRedis('ratelimit-node-redis');
let seq = 0;
const prefix = () => `${r.prefix}nr${++seq}:`;

async function nodeRedis(url: string, RESP: 2 | 3): Promise<RedisClient> {
  const c = createClient({ url, RESP, socket: { connectTimeout: 2_000, reconnectStrategy: 100 } });
  c.on('error', () => {});
  await c.connect();
  return c as unknown as RedisClient;
}

function app(limit: ReturnType<typeof rateLimit>) {
  const a = express();
  a.use(limit);
  a.get('/', (_req, res) => {
    res.send('ok');
  });
  return a;
}

describe.each([2, 3] as const)('a node-redis client (RESP%i)', (RESP) => {
  let client: RedisClient;
  beforeAll(async () => {
    client = await nodeRedis(r.url, RESP);
  });
  afterAll(async () => {
    await quitClient(client);
  });

  it('createRateLimiter takes it, and shares one budget with an ioredis limiter of the same name', async () => {
    const keyPrefix = prefix();
    const opts = {
      name: 'mixed',
      points: 3,
      burst: 3,
      durationMs: 60_000,
      keyPrefix,
      commandTimeoutMs: 5_000,
      logger: false as const,
    };
    const viaNodeRedis = createRateLimiter({ ...opts, redis: client });
    const viaIoredis = createRateLimiter({ ...opts, redis: r.admin });
    expect(viaNodeRedis.storage).toBe('redis');
    const got = [
      await viaNodeRedis.tryAcquire(),
      await viaIoredis.tryAcquire(),
      await viaNodeRedis.tryAcquire(),
      await viaIoredis.tryAcquire(),
      await viaNodeRedis.tryAcquire(),
    ];
    expect(got).toEqual([true, true, true, false, false]);
    expect(viaNodeRedis.degraded).toBe(false);
    const base = `${keyPrefix}{ratelimit:mixed}`;
    expect(await r.admin.hget(`${base}:gcra`, 'c')).toBe('3');
    expect(await r.admin.zcard(`${base}:log`)).toBe(3);
    await viaNodeRedis.close();
    await viaIoredis.close();
    expect(clientStatus(client)).toBe('ready'); // a client passed in stays the caller's
  });

  it('rateLimit takes it and counts in Redis, in the key an ioredis middleware uses', async () => {
    const keyPrefix = prefix();
    const opts = {
      points: 3,
      durationMs: 60_000,
      keyPrefix,
      keyBy: () => 'patient-42',
      storeTimeoutMs: 5_000,
      logger: false as const,
    };
    const storeErrors: string[] = [];
    const viaNodeRedis = rateLimit({ ...opts, redis: client });
    viaNodeRedis.onStoreError((e) => storeErrors.push(e.code));
    const viaIoredis = rateLimit({ ...opts, redis: r.admin });
    const first = await request(app(viaNodeRedis)).get('/');
    expect(first.status).toBe(200);
    expect(first.headers.ratelimit).toMatch(/^"default";r=2;t=(59|60)$/);
    expect((await request(app(viaIoredis)).get('/')).status).toBe(200);
    expect((await request(app(viaNodeRedis)).get('/')).status).toBe(200);
    const over = await request(app(viaNodeRedis)).get('/');
    expect(over.status).toBe(429);
    expect(over.headers['retry-after']).toMatch(/^(59|60)$/);
    expect(storeErrors).toEqual([]); // decided by Redis, not by the insurance
    const keys = await r.admin.keys(`${keyPrefix}*`);
    expect(keys).toHaveLength(1);
    expect(await r.admin.get(keys[0] as string)).toBe('4');
    await viaNodeRedis.close();
    await viaIoredis.close();
  });
});

describe('a node-redis client that loses its connection (private redis-server)', () => {
  it('Redis restarted empty: the outbound limiter sees the loss and starts the lost state fenced; the middleware uses the insurance meanwhile', async () => {
    let server = await startRedisServer();
    const port = server.port;
    const clients: RedisClient[] = [];
    try {
      const mine = await nodeRedis(server.url, 2);
      const other = await nodeRedis(server.url, 2);
      clients.push(mine, other);
      const opts = {
        name: 'restart',
        points: 3,
        burst: 3,
        durationMs: 60_000,
        commandTimeoutMs: 5_000,
        logger: false as const,
      };
      // this process has granted nothing: only the lost connection tells it the state is lost
      const limiter = createRateLimiter({ ...opts, redis: mine });
      const elsewhere = createRateLimiter({ ...opts, redis: other });
      for (let i = 0; i < 3; i++) expect(await elsewhere.tryAcquire()).toBe(true);
      expect(await limiter.tryAcquire()).toBe(false);
      const storeErrors: Array<{ code: string; insurance: boolean }> = [];
      const limit = rateLimit({
        points: 2,
        durationMs: 60_000,
        redis: mine,
        keyBy: () => 'k',
        storeTimeoutMs: 5_000,
        logger: false,
      });
      limit.onStoreError((e) => storeErrors.push({ code: e.code, insurance: e.insurance }));
      expect((await request(app(limit)).get('/')).status).toBe(200);
      const losses = connectionLosses(mine);
      const before = losses.count;

      await server.stop();
      await waitFor(() => clientStatus(mine) !== 'ready', { timeoutMs: 5_000, what: 'the loss' });
      expect((await request(app(limit)).get('/')).status).toBe(200); // decided by the insurance
      expect(storeErrors).toEqual([{ code: 'RESIL_CORE_REDIS_UNAVAILABLE', insurance: true }]);
      server = await startRedisServer({ port });
      await waitFor(() => clientStatus(mine) === 'ready', { timeoutMs: 10_000, what: 'reconnect' });
      expect(losses.count).toBeGreaterThan(before);
      // the restarted Redis has no state: without the loss seen, this would be a fresh burst of 3
      expect(await limiter.tryAcquire()).toBe(false);
      expect(limiter.degraded).toBe(false);
      expect(await redisCommand(mine, ['EXISTS', 'resil:{ratelimit:restart}:gcra'])).toBe(1);
      await limit.close();
      await limiter.close();
      await elsewhere.close();
    } finally {
      for (const c of clients) await quitClient(c);
      await server.stop();
    }
  });
});
