import { CORE_ERROR_CODES, isRedisClient, OptionTypeError, type RedisClient } from '@resil/core';

/**
 * The `redis` option of both factories: an ioredis `Redis`/`Cluster`, a node-redis client or
 * cluster (`createClient()`, `createCluster()`), a URL, or absent.
 */
export function redisOption(owner: string, value: unknown): RedisClient | string | undefined {
  if (value === undefined || typeof value === 'string' || isRedisClient(value)) return value;
  throw new OptionTypeError(
    CORE_ERROR_CODES.OPTION_TYPE,
    'redis',
    `${owner}: redis must be an ioredis Redis or Cluster, a node-redis client or cluster, or a URL`,
  );
}
