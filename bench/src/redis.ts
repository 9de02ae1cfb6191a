import type { Redis } from 'ioredis';

/** Sum of `cmdstat_*` calls on the server, minus the INFO calls this helper makes itself. */
async function totalCalls(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  let total = 0;
  for (const line of info.split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (m && m[1] !== 'info') total += Number(m[2]);
  }
  return total;
}

/**
 * Commands the server executed while `fn` ran. Meaningful only on a private redis-server that
 * nothing else talks to (the bench starts its own).
 */
export async function commandsDuring(redis: Redis, fn: () => Promise<void>): Promise<number> {
  const before = await totalCalls(redis);
  await fn();
  const after = await totalCalls(redis);
  return after - before;
}

/** Redis commands by name while `fn` ran (same caveat). */
export async function commandsByName(
  redis: Redis,
  fn: () => Promise<void>,
): Promise<Record<string, number>> {
  const read = async () => {
    const out: Record<string, number> = {};
    for (const line of (await redis.info('commandstats')).split('\n')) {
      const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
      if (m && m[1] !== 'info') out[m[1] as string] = Number(m[2]);
    }
    return out;
  };
  const before = await read();
  await fn();
  const after = await read();
  const diff: Record<string, number> = {};
  for (const [k, v] of Object.entries(after))
    if (v - (before[k] ?? 0) > 0) diff[k] = v - (before[k] ?? 0);
  return diff;
}
