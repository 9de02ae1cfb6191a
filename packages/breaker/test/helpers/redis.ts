// What the breaker's Redis tests read of the shared test Redis besides the breaker itself.
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
