import { redisUrl } from '@resil/testkit';
import type { Redis } from 'ioredis';
import { BoundedRedis, ClientPool } from '../../src/index';

describe('ClientPool with ioredis on the shared Redis', () => {
  it('shares one connected client per URL and quits it on the last release', async () => {
    const pool = new ClientPool<Redis>();
    const url = redisUrl();
    const a = pool.acquire(url);
    const b = pool.acquire(url);
    expect(a.client).toBe(b.client);
    const caller = new BoundedRedis(a.client, { timeoutMs: 2000 });
    await expect(caller.run((r) => r.ping())).resolves.toBe('PONG');
    await caller.close();
    await a.release();
    expect(a.client.status).toBe('ready');
    await expect(b.client.ping()).resolves.toBe('PONG');
    await b.release();
    expect(b.client.status).toBe('end');
    expect(pool.size).toBe(0);
  });
});
