import { isNodeRedisClient, type NodeRedisLike, type RedisClient, redisCommand } from '@resil/core';
import { maxInWindow, redisClientKind } from '@resil/testkit';
import { Redis, type RedisOptions } from 'ioredis';
import { createClient } from 'redis';

/**
 * The `margin` of the limiters in tests that count grants in real time on the callers' clocks.
 * The limiter's window holds on a caller's clock as long as the caller observes its grant at
 * most `margin × durationMs` late; on a shared 2-core machine under load, timers and replies
 * run more than the default 5 % (50 ms of a second) late, which a test would count as the
 * limiter's fault. The algorithm is the same; only the allowed lateness is larger.
 */
export const LOADED_MACHINE_MARGIN = 0.25;

/** Units (sum of costs) in the fullest half-open window [t, t + windowMs). */
export function maxUnitsInWindow(
  times: readonly number[],
  costs: readonly number[],
  windowMs: number,
): number {
  return maxInWindow(
    times.flatMap((t, i) => Array.from({ length: costs[i] ?? 1 }, () => t)),
    windowMs,
  );
}

/**
 * A client of the kind `RESIL_REDIS_CLIENT` names (testkit's `redisClientKind`) on a Redis of the
 * test's own (a private redis-server, a free port): ioredis with the test's own options, or
 * node-redis (RESP2, or RESP3 for `node-redis-resp3`) with the same reconnect delay
 * (`retryStrategy: () => ms` ↔ `reconnectStrategy: ms`; `null` ↔ `false`). It has an `error`
 * listener; its connection is started, except for ioredis `lazyConnect`.
 */
export function kindClient(
  url: string,
  options: RedisOptions & { reconnectMs?: number | false } = {},
): RedisClient {
  const { reconnectMs, ...ioredisOptions } = options;
  const kind = redisClientKind();
  if (kind.name === 'ioredis') {
    const c = new Redis(url, {
      ...ioredisOptions,
      ...(reconnectMs === undefined
        ? {}
        : { retryStrategy: () => (reconnectMs === false ? null : reconnectMs) }),
    });
    c.on('error', () => {});
    return c;
  }
  const c = createClient({
    url,
    RESP: kind.name === 'node-redis-resp3' ? 3 : 2,
    socket: {
      connectTimeout: 2_000,
      ...(reconnectMs === undefined ? {} : { reconnectStrategy: reconnectMs }),
    },
  });
  c.on('error', () => {});
  c.connect().catch(() => {});
  return c as unknown as RedisClient;
}

/** Drops a client of either kind at once (ioredis `disconnect()`, node-redis `destroy()`). */
export function dropClient(client: RedisClient): void {
  if (isNodeRedisClient(client)) {
    const c = client as NodeRedisLike;
    if (c.isOpen) c.destroy?.();
    return;
  }
  (client as Redis).disconnect();
}

/** The keys under `prefix` on a single Redis, by any client (KEYS: test data only). */
export async function keysOf(client: RedisClient, prefix: string): Promise<string[]> {
  return ((await redisCommand(client, ['KEYS', `${prefix}*`])) as string[]).map(String).sort();
}
