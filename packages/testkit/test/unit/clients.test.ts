import {
  clientStatus,
  isNodeRedisClient,
  isNodeRedisCluster,
  isRedisLike,
  quitClient,
} from '@resil/core';
import { REDIS_CLIENT_KINDS, redisClientKind, waitFor } from '../../src';

describe('redisClientKind', () => {
  it('is ioredis when RESIL_REDIS_CLIENT is unset or empty', () => {
    expect(redisClientKind(undefined).name).toBe('ioredis');
    expect(redisClientKind('').name).toBe('ioredis');
  });

  it('names node-redis with RESP2 and with RESP3', () => {
    expect(redisClientKind('node-redis').name).toBe('node-redis');
    expect(redisClientKind('node-redis-resp3').name).toBe('node-redis-resp3');
    expect(REDIS_CLIENT_KINDS.map((k) => k.name)).toEqual([
      'ioredis',
      'node-redis',
      'node-redis-resp3',
    ]);
  });

  it('refuses another value with a RangeError naming the variable, not the value', () => {
    expect(() => redisClientKind('nodeRedis')).toThrow(RangeError);
    expect(() => redisClientKind('nodeRedis')).toThrow(/^RESIL_REDIS_CLIENT must be one of/);
    expect(() => redisClientKind('nodeRedis')).not.toThrow(/nodeRedis/);
  });

  it.each(REDIS_CLIENT_KINDS.map((k) => [k.name, k] as const))(
    '%s makes clients of its kind (single and cluster), quit by quit()',
    async (name, kind) => {
      // port 1: nothing listens; the clients never become ready and quit() still ends them
      const single = kind.single('redis://127.0.0.1:1');
      const cluster = kind.cluster([{ host: '127.0.0.1', port: 1 }]);
      for (const c of [single, cluster]) c.on('error', () => {});
      if (name === 'ioredis') {
        expect(isRedisLike(single)).toBe(true);
        expect(isRedisLike(cluster)).toBe(true);
      } else {
        expect(isNodeRedisClient(single) && !isNodeRedisCluster(single)).toBe(true);
        expect(isNodeRedisCluster(cluster)).toBe(true);
      }
      await Promise.all([kind.quit(single, 200), kind.quit(cluster, 200)]);
      // (an ioredis Cluster that never reached a node stays `disconnecting`: ioredis's own
      // behaviour, not the factory's; its clients are not checked for `end` here)
      for (const c of name === 'ioredis' ? [single] : [single, cluster])
        await waitFor(() => clientStatus(c) === 'end', { timeoutMs: 5_000 });
      await quitClient(single); // idempotent
    },
  );
});
