import { CORE_ERROR_CODES, isRedisLike, OptionTypeError, type RedisLike } from '@resil/core';

/** The `redis` option of both factories: an ioredis-shaped client, a URL, or absent. */
export function redisOption(owner: string, value: unknown): RedisLike | string | undefined {
  if (value === undefined || typeof value === 'string' || isRedisLike(value)) return value;
  throw new OptionTypeError(
    CORE_ERROR_CODES.OPTION_TYPE,
    'redis',
    `${owner}: redis must be an ioredis Redis or Cluster, or a URL`,
  );
}
