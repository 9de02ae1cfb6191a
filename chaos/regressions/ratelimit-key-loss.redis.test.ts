import type { RedisClient } from '@resil/core';
import { createRateLimiter } from '@resil/ratelimit';
import { deleteByPrefix, maxInWindow, useRedis, waitFor } from '@resil/testkit';

/**
 * Found by the chaos checker (chaos/FINDINGS.md): the outbound limiter forgot the grants of the
 * current window when its keys were evicted or expired while Redis stayed up, and granted up to
 * a window more. C1: all its keys lost (fixed in 3271baf). C2: only the grant log (`:log`) lost,
 * the GCRA hash kept (seed 29531828 on the Cluster, one `DEL` of `:log`).
 */
async function saturateThenEvict(
  redis: RedisClient,
  prefix: string,
  name: string,
  evict: () => Promise<number>,
): Promise<number[]> {
  const limiter = createRateLimiter({
    name,
    points: 10,
    durationMs: 1000,
    burst: 4,
    redis,
    keyPrefix: prefix,
    logger: false,
  });
  const grants: number[] = [];
  let running = true;
  const loops = Array.from({ length: 6 }, async () => {
    while (running) {
      try {
        await limiter.acquire({ timeoutMs: 1500 });
        grants.push(Date.now());
      } catch {
        // RateLimitTimeoutError: ask again
      }
    }
  });
  try {
    await waitFor(() => grants.length >= 12, { timeoutMs: 10_000, what: 'a saturated limiter' });
    expect(await evict()).toBeGreaterThan(0);
    const before = grants.length;
    await waitFor(() => grants.length >= before + 12, {
      timeoutMs: 10_000,
      what: '12 more grants',
    });
  } finally {
    running = false;
    await Promise.all(loops);
    await limiter.close();
  }
  return grants;
}

describe('createRateLimiter: key loss (chaos findings C1, C2)', () => {
  const r = useRedis('chaos-ratelimit-key-loss');

  // 50 ms less than the window: timer lateness in this process cannot make a false alarm.
  it('keeps every sliding window within points when all its keys are deleted while callers wait (C1)', async () => {
    const grants = await saturateThenEvict(r.redis, r.prefix, 'all-keys', () =>
      deleteByPrefix(r.redis, r.prefix),
    );
    expect(maxInWindow(grants, 950)).toBeLessThanOrEqual(10);
  });

  it('keeps every sliding window within points when only its grant log is deleted (C2)', async () => {
    const prefix = `${r.prefix}log-only:`;
    const grants = await saturateThenEvict(r.redis, prefix, 'log-only', async () => {
      const keys = (await r.admin.keys(`${prefix}*`)).filter((k) => k.endsWith(':log'));
      return keys.length ? r.admin.del(...keys) : 0;
    });
    expect(maxInWindow(grants, 950)).toBeLessThanOrEqual(10);
  });
});
