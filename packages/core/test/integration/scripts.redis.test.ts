import {
  type RedisClusterHandle,
  type RedisServer,
  startRedisCluster,
  startRedisServer,
  useRedis,
} from '@resil/testkit';
import { Cluster, Redis } from 'ioredis';
import { defineScript, hashTagOf, keyBuilder } from '../../src/index';

const INCR_BOTH = `
local a = redis.call('INCR', KEYS[1])
local b = redis.call('INCRBY', KEYS[2], ARGV[1])
redis.call('PEXPIRE', KEYS[1], 60000)
redis.call('PEXPIRE', KEYS[2], 60000)
return {a, b}`;

describe('defineScript on the shared Redis (own key prefix)', () => {
  const r = useRedis('core-script');
  it('loads a script Redis has never seen (NOSCRIPT, then EVAL) and runs it by SHA afterwards', async () => {
    // The prefix in a comment makes the script text, so its SHA, new to this Redis.
    const script = defineScript(`-- ${r.prefix}\n${INCR_BOTH}`, { numberOfKeys: 2 });
    const [known] = (await r.redis.script('EXISTS', script.sha)) as number[];
    expect(known).toBe(0);
    const keys = keyBuilder(r.prefix, 'test');
    const k = [keys.key('a'), keys.key('a', 'b')];
    await expect(script.run(r.redis, k, [5])).resolves.toEqual([1, 5]);
    expect(await r.redis.script('EXISTS', script.sha)).toEqual([1]);
    await expect(script.run(r.redis, k, [5])).resolves.toEqual([2, 10]);
  });
});

describe('defineScript on a Redis that lost its script cache', () => {
  let server: RedisServer;
  let c: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    c = new Redis(server.url, { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    c.disconnect();
    await server.stop();
  });
  it('runs again after SCRIPT FLUSH (as after a restart)', async () => {
    const script = defineScript(INCR_BOTH, { numberOfKeys: 2 });
    const keys = keyBuilder('t:', 'flush');
    const k = [keys.key('x'), keys.key('x', 'y')];
    await expect(script.run(c, k, [1])).resolves.toEqual([1, 1]);
    await c.script('FLUSH');
    expect(await c.script('EXISTS', script.sha)).toEqual([0]);
    await expect(script.run(c, k, [1])).resolves.toEqual([2, 2]);
  });
});

describe('defineScript on Redis Cluster', () => {
  let cluster: RedisClusterHandle;
  let c: Cluster;
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
    c = new Cluster([...cluster.nodes], { redisOptions: { maxRetriesPerRequest: 1 } });
  }, 60_000);
  afterAll(async () => {
    c?.disconnect();
    await cluster?.stop();
  });
  it('runs two-key scripts on hash-tagged keys of many ids, spread over the nodes', async () => {
    const script = defineScript(INCR_BOTH, { numberOfKeys: 2 });
    const keys = keyBuilder('resil:', 'core-test');
    const slots = new Set<number>();
    const nodes = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const k = [keys.key(`id${i}`), keys.key(`id${i}`, 'count')];
      expect(hashTagOf(k[0] as string)).toBe(hashTagOf(k[1] as string));
      await expect(script.run(c, k, [i])).resolves.toEqual([1, i]);
      const [s0, s1] = await Promise.all(
        k.map((key) => c.cluster('KEYSLOT', key) as Promise<number>),
      );
      expect(s0).toBe(s1);
      slots.add(s0 as number);
      const owner = c.slots[s0 as number]?.[0];
      if (owner) nodes.add(owner);
    }
    expect(slots.size).toBeGreaterThan(20);
    expect(nodes.size).toBe(3); // the prefix outside the tag: ids spread over every master
  });
});
