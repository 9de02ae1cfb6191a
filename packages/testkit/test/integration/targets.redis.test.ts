import path from 'node:path';
import { describeEachRedis, runWorkers } from '../../src';

describeEachRedis('describeEachRedis', (target) => {
  it('gives a working client and a prefix; a two-key Lua script on one hash tag runs', async () => {
    const a = `${target.prefix}{tag}:a`;
    const b = `${target.prefix}{tag}:b`;
    const out = await target.redis.eval(
      "redis.call('SET', KEYS[1], ARGV[1]); redis.call('SET', KEYS[2], ARGV[1]); return redis.call('MGET', KEYS[1], KEYS[2])",
      2,
      a,
      b,
      'v',
    );
    expect(out).toEqual(['v', 'v']);
    await target.redis.del(a, b);
  });

  it('describes the target to worker processes (connectFromEnv)', async () => {
    const key = `${target.prefix}{workers}:n`;
    const results = await runWorkers<{ key: string }, number>({
      script: path.join(__dirname, '../fixtures/incr-env-worker.ts'),
      count: 2,
      input: { key },
      env: target.env,
    });
    expect(results).toEqual([100, 100]);
    expect(Number(await target.redis.get(key))).toBe(200);
    await target.redis.del(key);
  });
});
