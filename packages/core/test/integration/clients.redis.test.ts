import { type RedisClusterHandle, redisUrl, startRedisCluster, waitFor } from '@resil/testkit';
import { Redis } from 'ioredis';
import {
  BoundedRedis,
  ClientPool,
  clientStatus,
  defineScript,
  fromNodeRedis,
  type NodeRedisLike,
  nodeRedisClients,
  quitClient,
  type RedisClient,
  redisCommand,
} from '../../src/index';
import { CLIENT_KINDS } from '../support/redis-clients';

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

describe('ClientPool with nodeRedisClients() on the shared Redis', () => {
  it('makes one connecting node-redis client per URL, usable at once through BoundedRedis, closed by the last release', async () => {
    const pool = new ClientPool({ create: nodeRedisClients() });
    const url = redisUrl();
    const a = pool.acquire(url);
    const b = pool.acquire(url);
    expect(a.client).toBe(b.client);
    expect(clientStatus(a.client)).toBe('connecting'); // node-redis connects only when asked: the factory did
    const caller = new BoundedRedis(a.client, { timeoutMs: 2000 });
    // sent while connecting: node-redis queues it until the connection is ready
    await expect(caller.run((r) => redisCommand(r, ['PING']))).resolves.toBe('PONG');
    await caller.close();
    await a.release();
    expect(clientStatus(a.client)).toBe('ready');
    await b.release();
    expect(clientStatus(b.client)).toBe('end');
    expect(b.client.isOpen).toBe(false);
    expect(pool.size).toBe(0);
  });
  it('passes clientOptions to createClient (RESP3)', async () => {
    const pool = new ClientPool({ create: nodeRedisClients({ clientOptions: { RESP: 3 } }) });
    const lease = pool.acquire(redisUrl());
    // HELLO answers a map under RESP3 (node-redis: an object), an array under RESP2
    const hello = await redisCommand(lease.client, ['HELLO']);
    expect(hello).toMatchObject({ proto: 3 });
    await lease.release();
  });
});

describe.each(CLIENT_KINDS)('quitClient with $name', (kind) => {
  let cluster: RedisClusterHandle;
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
  }, 60_000);
  afterAll(() => cluster?.stop());
  it('quits a single-Redis client: it ends, and a second quit does nothing', async () => {
    const c = kind.single(redisUrl());
    await expect(redisCommand(c, ['PING'])).resolves.toBe('PONG');
    await quitClient(c);
    expect(clientStatus(c)).toBe('end');
    await quitClient(c);
    expect(clientStatus(c)).toBe('end');
  });
  it('quits a Cluster client, every node connection with it', async () => {
    const connections = async () => {
      let n = 0;
      for (const node of cluster.nodes) {
        const probe = new Redis(node.port, node.host);
        const info = await probe.info('clients');
        probe.disconnect();
        n += Number(/connected_clients:(\d+)/.exec(info)?.[1] ?? 0) - 1; // not the probe
      }
      return n;
    };
    const c: RedisClient = await kind.cluster(cluster.nodes);
    await expect(redisCommand(c, ['SET', '{q}k', '1'], '{q}k')).resolves.toBe('OK');
    expect(await connections()).toBeGreaterThanOrEqual(1);
    await quitClient(c);
    expect(clientStatus(c)).toBe('end');
    await waitFor(async () => (await connections()) === 0, {
      what: 'every node connection of the cluster client to close',
    });
  });
});

describe('fromNodeRedis on a real node-redis client', () => {
  it('runs core code written for RedisLike (status, ready, evalsha/eval) and quits', async () => {
    const kind = CLIENT_KINDS.find((k) => k.name === 'node-redis');
    const raw = kind?.single(redisUrl()) as NodeRedisLike;
    const c = fromNodeRedis(raw);
    await waitFor(() => c.status === 'ready', { what: 'the client to connect' });
    expect(c.status).toBe('ready');
    const b = new BoundedRedis(c, { timeoutMs: 2000 });
    const script = defineScript('return {ARGV[1], tonumber(ARGV[2]) + 1}');
    await expect(b.run((r) => script.run(r, [], ['x', 1]))).resolves.toEqual(['x', 2]);
    await b.close();
    await c.quit();
    expect(c.status).toBe('end');
    expect(raw.isOpen).toBe(false);
  });
});
