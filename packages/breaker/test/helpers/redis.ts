// What the breaker's Redis tests read of the shared test Redis besides the breaker itself.
import { quitClient, type RedisClient } from '@resil/core';
import { redisClientKind, redisUrl } from '@resil/testkit';
import type { Cluster, Redis } from 'ioredis';

/**
 * Reads a circuit's hash and Redis's own clock (the clock the scripts use) through `r.admin`
 * (an ioredis client whatever RESIL_REDIS_CLIENT says), looked up at each call (testkit's
 * `useRedis` fixture has its client only inside tests).
 */
export function circuitReader(r: { readonly admin: Redis | Cluster }) {
  return {
    hash: (key: string) => r.admin.hgetall(key),
    /** Redis time in ms (`TIME`). */
    redisMs: async () => {
      const [s, us] = await r.admin.time();
      return Number(s) * 1000 + Math.floor(Number(us) / 1000);
    },
  };
}

/**
 * Clients a test file owns, each quit after its test: `create` makes one of this run's kind
 * (RESIL_REDIS_CLIENT) on the shared test Redis, `own` takes one made elsewhere. Call it at the top
 * level of the file (it registers an afterEach).
 */
export function ownClients() {
  const clients: RedisClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => quitClient(c, 500)));
  });
  return {
    own<C extends RedisClient>(c: C): C {
      clients.push(c);
      return c;
    },
    create(options: { name?: string } = {}): RedisClient {
      const c = redisClientKind().single(redisUrl(), options);
      clients.push(c);
      return c;
    },
  };
}

/** Drops the client's connection (ioredis `disconnect()`, node-redis `destroy()`). */
export async function drop(c: RedisClient): Promise<void> {
  if ('destroy' in c && typeof c.destroy === 'function') c.destroy();
  else c.disconnect?.();
}

/** Connects a dropped client again (both kinds: `connect()`). */
export async function reconnect(c: RedisClient): Promise<void> {
  await (c as unknown as { connect(): Promise<unknown> }).connect();
}
