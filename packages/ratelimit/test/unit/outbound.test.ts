import { maxInWindow } from '@resil/testkit';
import {
  createRateLimiter,
  ERROR_CODES,
  isRateLimitError,
  RateLimitAbortError,
  RateLimitQueueFullError,
  RateLimitTimeoutError,
} from '../../src';
import { LOADED_MACHINE_MARGIN } from '../helpers';

describe('createRateLimiter (memory)', () => {
  it('spaces grants evenly: never more than points in any sliding window, near the full rate', async () => {
    const limiter = createRateLimiter({
      name: 'm1',
      points: 10,
      durationMs: 500,
      margin: LOADED_MACHINE_MARGIN,
      logger: false,
    });
    const times: number[] = [];
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 15 }, async () => {
        await limiter.acquire();
        times.push(performance.now());
      }),
    );
    expect(maxInWindow(times, 500)).toBeLessThanOrEqual(10);
    // 15 grants, evenly spaced by 62.5 ms (50 ms + the 25 % margin): the last 875 ms after the first.
    const span = Math.max(...times) - started;
    expect(span).toBeGreaterThanOrEqual(14 * 62);
  });

  it('timeoutMs: a token further away than the caller will wait rejects at once with a typed error', async () => {
    const limiter = createRateLimiter({ name: 'm2', points: 1, durationMs: 60_000, logger: false });
    await limiter.acquire();
    const err = await limiter.acquire({ timeoutMs: 50 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitTimeoutError);
    expect(err).toMatchObject({ code: ERROR_CODES.TIMEOUT, limiter: 'm2' });
    expect((err as RateLimitTimeoutError).waitMs).toBeGreaterThan(50);
    expect(isRateLimitError(err)).toBe(true);
  });

  it('signal: aborting a wait rejects with RateLimitAbortError named AbortError', async () => {
    const limiter = createRateLimiter({ name: 'm3', points: 1, durationMs: 5_000, logger: false });
    await limiter.acquire();
    const ac = new AbortController();
    const waiting = limiter.acquire({ signal: ac.signal });
    ac.abort();
    const err = await waiting.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitAbortError);
    expect(err).toMatchObject({ name: 'AbortError', code: ERROR_CODES.ABORTED });
    // an already aborted signal rejects without taking a token
    await expect(limiter.acquire({ signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
      RateLimitAbortError,
    );
  });

  it('maxQueue: callers beyond it are rejected instead of queued', async () => {
    const limiter = createRateLimiter({
      name: 'm4',
      points: 1,
      durationMs: 300,
      maxQueue: 2,
      logger: false,
    });
    const a = limiter.acquire();
    const b = limiter.acquire();
    expect(limiter.waiting).toBe(2);
    await expect(limiter.acquire()).rejects.toBeInstanceOf(RateLimitQueueFullError);
    await Promise.all([a, b]);
    expect(limiter.waiting).toBe(0);
  });

  it('tryAcquire answers at once', async () => {
    const limiter = createRateLimiter({ name: 'm5', points: 1, durationMs: 10_000, logger: false });
    expect(await limiter.tryAcquire()).toBe(true);
    expect(await limiter.tryAcquire()).toBe(false);
  });

  it('burst lets that many go at once after idle, then spaces', async () => {
    const limiter = createRateLimiter({
      name: 'm6',
      points: 5,
      durationMs: 10_000,
      burst: 3,
      logger: false,
    });
    expect(await limiter.tryAcquire()).toBe(true);
    expect(await limiter.tryAcquire()).toBe(true);
    expect(await limiter.tryAcquire()).toBe(true);
    expect(await limiter.tryAcquire()).toBe(false);
  });

  it('rejects bad options naming the option', () => {
    expect(() => createRateLimiter({ name: '', points: 1, durationMs: 1 })).toThrow(/name/);
    expect(() => createRateLimiter({ name: 'x', points: 0, durationMs: 1 })).toThrow(RangeError);
    expect(() => createRateLimiter({ name: 'x', points: 1, durationMs: 1.5 })).toThrow(
      /durationMs/,
    );
    expect(() =>
      createRateLimiter({ name: 'x', points: 1, durationMs: 1, margin: 2 } as never),
    ).toThrow(/margin/);
    expect(() => createRateLimiter({ name: 'x', points: 3, durationMs: 1, burst: 4 })).toThrow(
      /burst must be at most points/,
    );
    expect(() =>
      createRateLimiter({ name: 'x', points: 1, durationMs: 1, poinst: 2 } as never),
    ).toThrow(/unknown option "poinst"/);
    expect(() =>
      createRateLimiter({ name: 'x', points: 1, durationMs: 1, redis: {} as never }),
    ).toThrow(/redis/);
  });
});
