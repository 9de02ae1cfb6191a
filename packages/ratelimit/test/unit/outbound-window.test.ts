import fc from 'fast-check';
import { createRateLimiter, type RateLimiter } from '../../src';
import { maxUnitsInWindow } from '../helpers';

/** Units (sum of costs) in the fullest half-open window [t, t + windowMs). */
function maxUnits(grants: ReadonlyArray<{ at: number; cost: number }>, windowMs: number) {
  return maxUnitsInWindow(
    grants.map((g) => g.at),
    grants.map((g) => g.cost),
    windowMs,
  );
}

/** Starts the acquisitions in order (each asks the limiter before the next), then lets fake time run. */
async function runSchedule(
  limiter: RateLimiter,
  costs: readonly number[],
): Promise<Array<{ at: number; cost: number }>> {
  const grants: Array<{ at: number; cost: number }> = [];
  const all = costs.map((cost) =>
    limiter.acquire({ cost, timeoutMs: 3_600_000 }).then(() => {
      grants.push({ at: performance.now(), cost });
    }),
  );
  await jest.runAllTimersAsync();
  await Promise.all(all);
  return grants;
}

describe('createRateLimiter (memory): units in any sliding window', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('cost 8 after 9 single acquisitions on 10/s: no window holds more than 10 units (issue 16 #12 saw 17)', async () => {
    const limiter = createRateLimiter({ name: 'w1', points: 10, durationMs: 1000, logger: false });
    const grants = await runSchedule(limiter, [1, 1, 1, 1, 1, 1, 1, 1, 1, 8]);
    expect(grants).toHaveLength(10);
    expect(maxUnits(grants, 1000)).toBeLessThanOrEqual(10);
  });

  it('burst 5 on 10/s: 5 go at once after idle, and no window holds more than 10 (issue 16 #12 saw 14)', async () => {
    const limiter = createRateLimiter({
      name: 'w2',
      points: 10,
      durationMs: 1000,
      burst: 5,
      logger: false,
    });
    const start = performance.now();
    const grants = await runSchedule(
      limiter,
      Array.from({ length: 25 }, () => 1),
    );
    expect(grants.filter((g) => g.at === start)).toHaveLength(5);
    expect(maxUnits(grants, 1000)).toBeLessThanOrEqual(10);
    // after a long idle period the burst is available again
    await jest.advanceTimersByTimeAsync(5_000);
    const again = performance.now();
    for (let i = 0; i < 5; i++) expect(await limiter.tryAcquire()).toBe(true);
    expect(await limiter.tryAcquire()).toBe(false);
    expect(performance.now()).toBe(again);
  });

  it('cost = points is granted, and the next unit waits a whole window', async () => {
    const limiter = createRateLimiter({ name: 'w3', points: 10, durationMs: 1000, logger: false });
    const grants = await runSchedule(limiter, [10, 1]);
    expect(grants.map((g) => g.cost)).toEqual([10, 1]);
    expect((grants[1]?.at ?? 0) - (grants[0]?.at ?? 0)).toBeGreaterThanOrEqual(1000);
  });

  it('cost > points is a RangeError naming cost, at once (never a wait for ever), nothing taken', async () => {
    const limiter = createRateLimiter({ name: 'w4', points: 10, durationMs: 1000, logger: false });
    await expect(limiter.acquire({ cost: 11 })).rejects.toThrow(RangeError);
    await expect(limiter.acquire({ cost: 11 })).rejects.toThrow(/cost/);
    await expect(limiter.tryAcquire(11)).rejects.toThrow(RangeError);
    expect(limiter.waiting).toBe(0);
    expect(await limiter.tryAcquire(10)).toBe(true); // nothing was taken by the refusals
  });

  it('random schedules of mixed costs, bursts and idle gaps never put more than points units in a window', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          points: fc.integer({ min: 1, max: 12 }),
          durationMs: fc.integer({ min: 100, max: 2000 }),
          burstShare: fc.double({ min: 0, max: 1, noNaN: true }),
          steps: fc.array(
            fc.record({
              idleMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3000 })),
              costs: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), {
                minLength: 1,
                maxLength: 6,
              }),
            }),
            { minLength: 1, maxLength: 6 },
          ),
        }),
        async ({ points, durationMs, burstShare, steps }) => {
          const burst = 1 + Math.floor(burstShare * (points - 1));
          const limiter = createRateLimiter({
            name: 'prop',
            points,
            durationMs,
            burst,
            logger: false,
          });
          const grants: Array<{ at: number; cost: number }> = [];
          const pending: Promise<void>[] = [];
          for (const step of steps) {
            await jest.advanceTimersByTimeAsync(step.idleMs);
            for (const share of step.costs) {
              const cost = 1 + Math.floor(share * (points - 1));
              pending.push(
                limiter.acquire({ cost, timeoutMs: 3_600_000 }).then(() => {
                  grants.push({ at: performance.now(), cost });
                }),
              );
            }
          }
          await jest.runAllTimersAsync();
          await Promise.all(pending);
          expect(maxUnits(grants, durationMs)).toBeLessThanOrEqual(points);
        },
      ),
      { numRuns: 150 },
    );
  });
});
