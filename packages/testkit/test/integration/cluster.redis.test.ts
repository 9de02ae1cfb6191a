import { Cluster } from 'ioredis';
import { deleteByPrefix, type RedisClusterHandle, startRedisCluster } from '../../src/index';

describe('startRedisCluster', () => {
  let cluster: RedisClusterHandle;
  let client: Cluster;

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
    client = new Cluster([...cluster.nodes], { redisOptions: { maxRetriesPerRequest: 1 } });
  }, 60_000);

  afterAll(async () => {
    await client?.quit();
    await cluster?.stop();
  });

  it('starts a real 3-master cluster that spreads slots over the masters', async () => {
    const masters = client.nodes('master');
    expect(masters).toHaveLength(3);
    for (let i = 0; i < 60; i++) await client.set(`resil-test:cluster:${i}`, i);
    const sizes = await Promise.all(masters.map((m) => m.dbsize()));
    expect(sizes.filter((n) => n > 0)).toHaveLength(3);
    expect(await deleteByPrefix(client, 'resil-test:cluster:')).toBe(60);
  });

  it('runs a script over hash-tagged keys, and refuses keys of different slots (CROSSSLOT)', async () => {
    const script = "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('INCR', KEYS[2])";
    await expect(client.eval(script, 2, 'p{same}:a', 'p{same}:b', 'x')).resolves.toBe(1);
    await expect(client.eval(script, 2, 'p{one}:a', 'p{two}:b', 'x')).rejects.toThrow(/CROSSSLOT/);
    await client.del('p{same}:a', 'p{same}:b');
  });
});
