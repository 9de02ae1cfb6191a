import { type RedisClient, redisCommand } from '@resil/core';

/** The protocol (2 or 3) of a client's connection, from `HELLO` without a version. */
export async function protocolOf(client: RedisClient, key = 'any'): Promise<number> {
  const reply = (await redisCommand(client, ['HELLO'], key)) as unknown;
  if (Array.isArray(reply)) return Number(reply[reply.indexOf('proto') + 1]);
  if (reply instanceof Map) return Number(reply.get('proto'));
  return Number((reply as Record<string, unknown>).proto);
}

/** What a run's client kind looks like from the client: `ioredis`, `node-redis/2`, `node-redis/3`. */
export const EXPECTED_SHAPE: Record<string, string> = {
  ioredis: 'ioredis',
  'node-redis': 'node-redis/2',
  'node-redis-resp3': 'node-redis/3',
};
