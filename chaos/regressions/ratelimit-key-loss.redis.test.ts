import { createRateLimiter } from '@resil/ratelimit';
import { deleteByPrefix, maxInWindow, useRedis, waitFor } from '@resil/testkit';

/**
 * Found by the chaos checker (chaos/FINDINGS.md, C1; seeds 1268782514 and 1337826048): the outbound
 * limiter forgets the grants of the current window when its keys are evicted or expire while
 * Redis stays up (`DEL` / `PEXPIRE`, what `maxmemory` eviction does), and grants up to a window
 * more. Redis restarts and lost connections are fenced (77554a6); the loss of the keys alone is not.
 */
describe('createRateLimiter: key loss (chaos finding C1)', () => {
  const r = useRedis('chaos-ratelimit-key-loss');

  it('keeps every sliding window within points when its keys are deleted while callers wait', async () => {
    const limiter = createRateLimiter({
      name: 'key-loss',
      points: 10,
      durationMs: 1000,
      burst: 4,
      redis: r.redis,
      keyPrefix: r.prefix,
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
      expect(await deleteByPrefix(r.redis, r.prefix)).toBeGreaterThan(0); // the eviction
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
    // 50 ms less than the window: timer lateness in this process cannot make a false alarm.
    expect(maxInWindow(grants, 950)).toBeLessThanOrEqual(10);
  });
});
