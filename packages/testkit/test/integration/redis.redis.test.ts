import { createRedis, deleteByPrefix, startRedisServer, uniquePrefix } from '../../src/index';

describe('deleteByPrefix', () => {
  it('deletes exactly the keys under the prefix', async () => {
    const redis = createRedis();
    const mine = uniquePrefix('testkit-clean');
    const other = uniquePrefix('testkit-other');
    try {
      for (let i = 0; i < 1200; i++) await redis.set(`${mine}${i}`, 1);
      await redis.set(`${other}keep`, 1);
      expect(await deleteByPrefix(redis, mine)).toBe(1200);
      expect(await redis.exists(`${other}keep`)).toBe(1);
    } finally {
      await deleteByPrefix(redis, other);
      await redis.quit();
    }
  });
});

describe('startRedisServer', () => {
  it('starts a private redis-server that answers, and stops it', async () => {
    const server = await startRedisServer();
    const { Redis } = await import('ioredis');
    const client = new Redis(server.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
      await server.stop();
    }
    expect(server.child.exitCode !== null || server.child.signalCode !== null).toBe(true);
  });
});
