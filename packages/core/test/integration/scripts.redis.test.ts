import {
  type RedisClusterHandle,
  type RedisServer,
  redisUrl,
  startRedisCluster,
  startRedisServer,
  useRedis,
} from '@resil/testkit';
import { Redis } from 'ioredis';
import {
  defineScript,
  hashTagOf,
  keyBuilder,
  type RedisClient,
  redisCommand,
} from '../../src/index';
import { CLIENT_KINDS, clientTracker } from '../support/redis-clients';

const INCR_BOTH = `
local a = redis.call('INCR', KEYS[1])
local b = redis.call('INCRBY', KEYS[2], ARGV[1])
redis.call('PEXPIRE', KEYS[1], 60000)
redis.call('PEXPIRE', KEYS[2], 60000)
return {a, b}`;

// Every suite runs once per client: ioredis, node-redis (RESP2) and node-redis with RESP3.
describe.each(CLIENT_KINDS)('defineScript with $name', (kind) => {
  const tracked = clientTracker();
  afterAll(() => tracked.closeAll());

  describe('on the shared Redis (own key prefix)', () => {
    const r = useRedis(`core-script-${kind.name}`);
    let c: RedisClient;
    beforeAll(() => {
      c = tracked.add(kind.single(redisUrl()));
    });
    it('loads a script Redis has never seen (NOSCRIPT, then EVAL) and runs it by SHA afterwards', async () => {
      // The prefix in a comment makes the script text, so its SHA, new to this Redis.
      const script = defineScript(`-- ${r.prefix}\n${INCR_BOTH}`, { numberOfKeys: 2 });
      const [known] = (await redisCommand(r.redis, ['SCRIPT', 'EXISTS', script.sha])) as number[];
      expect(known).toBe(0);
      const keys = keyBuilder(r.prefix, 'test');
      const k = [keys.key('a'), keys.key('a', 'b')];
      await expect(script.run(c, k, [5])).resolves.toEqual([1, 5]);
      expect(await redisCommand(r.redis, ['SCRIPT', 'EXISTS', script.sha])).toEqual([1]);
      await expect(script.run(c, k, [5])).resolves.toEqual([2, 10]);
    });
    it('replies alike on every client: integers, strings, nil, nested tables, Buffer and number arguments', async () => {
      const script = defineScript(
        "return {tonumber(ARGV[1]) + 1, ARGV[2], redis.call('GET', KEYS[1]), {ARGV[3], 7}, false}",
        { numberOfKeys: 1 },
      );
      const key = keyBuilder(r.prefix, 'shape').key('none');
      await expect(script.run(c, [key], [41, 'café', Buffer.from('buf')])).resolves.toEqual([
        42,
        'café',
        null,
        ['buf', 7],
        null,
      ]);
    });
    it("rejects a script's own error as an Error with Redis's message", async () => {
      const script = defineScript("return redis.error_reply('ERR mine')");
      await expect(script.run(c, [])).rejects.toThrow('ERR mine');
    });
  });

  describe('on a Redis that lost its script cache', () => {
    let server: RedisServer;
    let c: RedisClient;
    let admin: Redis;
    beforeAll(async () => {
      server = await startRedisServer();
      c = tracked.add(kind.single(server.url));
      admin = new Redis(server.url, { maxRetriesPerRequest: 1 });
    });
    afterAll(async () => {
      admin.disconnect();
      await tracked.closeAll();
      await server.stop();
    });
    it('runs again after SCRIPT FLUSH (as after a restart)', async () => {
      const script = defineScript(INCR_BOTH, { numberOfKeys: 2 });
      const keys = keyBuilder('t:', 'flush');
      const k = [keys.key('x'), keys.key('x', 'y')];
      await expect(script.run(c, k, [1])).resolves.toEqual([1, 1]);
      await redisCommand(c, ['SCRIPT', 'FLUSH']);
      expect(await admin.script('EXISTS', script.sha)).toEqual([0]);
      await expect(script.run(c, k, [1])).resolves.toEqual([2, 2]);
    });
  });

  describe('on Redis Cluster', () => {
    let cluster: RedisClusterHandle;
    let c: RedisClient;
    const direct: Redis[] = [];
    beforeAll(async () => {
      cluster = await startRedisCluster({ masters: 3 });
      c = tracked.add(await kind.cluster(cluster.nodes));
      for (const n of cluster.nodes) direct.push(new Redis(n.port, n.host));
    }, 60_000);
    afterAll(async () => {
      for (const d of direct) d.disconnect();
      await tracked.closeAll();
      await cluster?.stop();
    });
    /** MOVED replies the nodes have sent so far (INFO errorstats). */
    const moved = async () => {
      let n = 0;
      for (const d of direct) {
        const m = /errorstat_MOVED:count=(\d+)/.exec(await d.info('errorstats'));
        n += Number(m?.[1] ?? 0);
      }
      return n;
    };
    it('runs two-key scripts on hash-tagged keys of many ids, each sent to the node that owns its slot (no MOVED), spread over the nodes', async () => {
      const movedBefore = await moved();
      const script = defineScript(INCR_BOTH, { numberOfKeys: 2 });
      const keys = keyBuilder('resil:', `core-test-${kind.name.replace(/\W/g, '')}`);
      const slots = new Set<number>();
      const nodes = new Set<number>();
      for (let i = 0; i < 30; i++) {
        const k = [keys.key(`id${i}`), keys.key(`id${i}`, 'count')] as [string, string];
        expect(hashTagOf(k[0])).toBe(hashTagOf(k[1]));
        await expect(script.run(c, k, [i])).resolves.toEqual([1, i]);
        const [s0, s1] = await Promise.all(
          k.map((key) => direct[0]?.cluster('KEYSLOT', key) as Promise<number>),
        );
        expect(s0).toBe(s1);
        slots.add(s0 as number);
        // Both keys are on one node, the one serving their slot (COUNTKEYSINSLOT asks no MOVED).
        const holders = await Promise.all(
          direct.map((d) => d.cluster('COUNTKEYSINSLOT', s0 as number) as Promise<number>),
        );
        expect(holders.filter((h) => h >= 2)).toHaveLength(1);
        nodes.add(holders.findIndex((h) => h >= 2));
      }
      // EVALSHA, NOSCRIPT, EVAL: each went straight to the slot's master
      expect(await moved()).toBe(movedBefore);
      expect(slots.size).toBeGreaterThan(20);
      expect(nodes.size).toBe(3); // the prefix outside the tag: ids spread over every master
    });
  });
});
