import path from 'node:path';
import { isNodeRedisClient, redisCommand } from '@resil/core';
import { Cluster, Redis } from 'ioredis';
import { describeEachRedis, runWorkers, untilReady } from '../../src';
import { EXPECTED_SHAPE, protocolOf } from '../support/protocol';

const expected = EXPECTED_SHAPE[process.env.RESIL_REDIS_CLIENT || 'ioredis'];

describeEachRedis('describeEachRedis', (target) => {
  it('gives clients of the kind RESIL_REDIS_CLIENT names, ready, and an ioredis admin', async () => {
    const shape = async (c: typeof target.redis) =>
      isNodeRedisClient(c) ? `node-redis/${await protocolOf(c, target.prefix)}` : 'ioredis';
    expect(await shape(target.redis)).toBe(expected);
    expect(target.kind.name).toBe(process.env.RESIL_REDIS_CLIENT || 'ioredis');
    expect(target.admin).toBeInstanceOf(target.topology === 'single' ? Redis : Cluster);
    if (expected === 'ioredis') expect(target.admin).toBe(target.redis);
    const other = target.client();
    await untilReady(other);
    expect(await shape(other)).toBe(expected);
    const key = `${target.prefix}{kind}:x`;
    expect(await redisCommand(other, ['SET', key, 7], key)).toBe('OK');
    expect(await target.admin.get(key)).toBe('7');
    await target.admin.del(key);
  });

  it('gives a working client and a prefix; a two-key Lua script on one hash tag runs', async () => {
    const a = `${target.prefix}{tag}:a`;
    const b = `${target.prefix}{tag}:b`;
    const out = await target.admin.eval(
      "redis.call('SET', KEYS[1], ARGV[1]); redis.call('SET', KEYS[2], ARGV[1]); return redis.call('MGET', KEYS[1], KEYS[2])",
      2,
      a,
      b,
      'v',
    );
    expect(out).toEqual(['v', 'v']);
    await target.admin.del(a, b);
  });

  it('describes the target to worker processes (connectFromEnv)', async () => {
    const key = `${target.prefix}{workers}:n`;
    const results = await runWorkers<{ key: string }, { n: number; kind: string }>({
      script: path.join(__dirname, '../fixtures/incr-env-worker.ts'),
      count: 2,
      input: { key },
      env: target.env,
    });
    expect(results.map((x) => x.n)).toEqual([100, 100]);
    // the workers made their clients of the kind this run uses (RESIL_REDIS_CLIENT is inherited)
    expect(results.map((x) => x.kind)).toEqual([expected, expected]);
    expect(Number(await target.admin.get(key))).toBe(200);
    await target.admin.del(key);
  });
});
