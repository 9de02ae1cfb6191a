import { getEventListeners } from 'node:events';
import { noopLogger } from '@resil/core';
import { backoffMs, type GiveUpEvent, RetryBudget, type RetryEvent, retryable } from '../../src';
import { settle as run } from '../settle';

const httpError = (status: number) => Object.assign(new Error(`HTTP ${status}`), { status });
const quiet = { logger: false as const, minDelayMs: 0, maxDelayMs: 0 };

describe('retryable options', () => {
  it('drops undefined options before applying the defaults', () => {
    const f = retryable({ maxAttempts: undefined, jitter: undefined })(async () => 1);
    expect(f.retry.maxAttempts).toBe(3);
    expect(f.retry.jitter).toBe('full');
  });

  it('exposes the given policy, read-only', () => {
    const f = retryable({
      maxAttempts: 5,
      minDelayMs: 1,
      maxDelayMs: 7,
      factor: 1.5,
      jitter: 'equal',
      maxRetryAfterMs: 9,
      maxElapsedMs: 11,
    })(async () => 1);
    expect(f.retry).toEqual({
      maxAttempts: 5,
      minDelayMs: 1,
      maxDelayMs: 7,
      factor: 1.5,
      jitter: 'equal',
      maxRetryAfterMs: 9,
      maxElapsedMs: 11,
    });
    expect(Object.getOwnPropertyDescriptor(f, 'retry')).toMatchObject({
      enumerable: true,
      writable: false,
    });
  });

  it('accepts the bounds: 1 attempt, 0 ms, factor 1, Infinity attempts and elapsed time', () => {
    const f = retryable({
      maxAttempts: 1,
      minDelayMs: 0,
      maxDelayMs: 0,
      factor: 1,
      maxRetryAfterMs: 0,
      maxElapsedMs: 0,
    })(async () => 1);
    expect(f.retry.maxAttempts).toBe(1);
    const g = retryable({ maxAttempts: Infinity, maxElapsedMs: Infinity })(async () => 1);
    expect([g.retry.maxAttempts, g.retry.maxElapsedMs]).toEqual([Infinity, Infinity]);
  });

  const R = RangeError;
  const T = TypeError;
  const MAX = 'from 0 to 2147483647';
  it.each([
    [{ maxAttempts: 0 }, R, 'retryable: maxAttempts must be an integer >= 1'],
    [{ maxAttempts: 1.5 }, R, 'retryable: maxAttempts must be an integer >= 1'],
    [{ maxAttempts: Number.NaN }, R, 'retryable: maxAttempts must be an integer >= 1'],
    [{ maxAttempts: '3' }, T, 'retryable: maxAttempts must be an integer >= 1'],
    [{ minDelayMs: -1 }, R, `retryable: minDelayMs must be an integer ${MAX}`],
    [{ minDelayMs: 0.5 }, R, `retryable: minDelayMs must be an integer ${MAX}`],
    [{ minDelayMs: 0, maxDelayMs: 2 ** 31 }, R, `retryable: maxDelayMs must be an integer ${MAX}`],
    [{ minDelayMs: 0, maxDelayMs: Infinity }, R, `retryable: maxDelayMs must be an integer ${MAX}`],
    [{ maxRetryAfterMs: -1 }, R, `retryable: maxRetryAfterMs must be an integer ${MAX}`],
    [{ maxElapsedMs: -1 }, R, 'retryable: maxElapsedMs must be an integer >= 0'],
    [{ maxElapsedMs: 1.5 }, R, 'retryable: maxElapsedMs must be an integer >= 0'],
    [
      { minDelayMs: 10, maxDelayMs: 9 },
      R,
      'retryable: maxDelayMs must be an integer from 10 to 2147483647',
    ],
    [{ factor: 0.99 }, R, 'retryable: factor must be a finite number >= 1'],
    [{ factor: Number.NaN }, R, 'retryable: factor must be a finite number >= 1'],
    [{ factor: '2' }, T, 'retryable: factor must be a finite number >= 1'],
    [
      { jitter: 'some' },
      R,
      "retryable: jitter must be one of 'full', 'equal', 'decorrelated', 'none'",
    ],
  ])('refuses %j with a %p naming the option (core option check)', (options, type, message) => {
    let error: unknown;
    try {
      retryable(options as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject({ message, option: Object.keys(options).at(-1) });
  });

  it.each(['retryOn', 'onRetry', 'onGiveUp', 'onSuccess', 'random', 'clock'])(
    'refuses a %s that is not a function with a TypeError',
    (name) => {
      expect(() => retryable({ [name]: 'x' } as never)).toThrow(
        new TypeError(`retryable: ${name} must be a function`),
      );
    },
  );

  it('refuses non-object options, unknown options and a non-function to wrap', () => {
    expect(() => retryable(null as never)).toThrow(
      new TypeError('retryable: options must be an object'),
    );
    for (const bad of ['x', 5, true]) {
      expect(() => retryable(bad as never)).toThrow(
        new TypeError('retryable: options must be an object'),
      );
    }
    expect(() => retryable({ retries: 3 } as never)).toThrow(
      new TypeError('retryable: unknown option "retries"'),
    );
    expect(() => retryable([] as never)).toThrow(
      new TypeError('retryable: options must be an object'),
    );
    expect(() => retryable()(5 as never)).toThrow(
      new TypeError('retryable: expected a function to wrap'),
    );
  });

  it('accepts every documented option', () => {
    expect(() =>
      retryable({
        retryOn: () => true,
        signal: new AbortController().signal,
        budget: new RetryBudget(),
        name: 'n',
        logger: false,
        onRetry: () => undefined,
        onGiveUp: () => undefined,
        onSuccess: () => undefined,
        random: () => 0,
        clock: () => 0,
      }),
    ).not.toThrow();
  });
});

describe('backoffMs', () => {
  const policy = (jitter: 'full' | 'equal' | 'decorrelated' | 'none', factor = 3) => ({
    maxAttempts: 9,
    minDelayMs: 100,
    maxDelayMs: 1000,
    factor,
    jitter,
    maxRetryAfterMs: 0,
    maxElapsedMs: Infinity,
  });

  it('grows the cap by factor per retry and stops at maxDelayMs', () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(policy('none'), n, 0, () => 0))).toEqual([
      100, 300, 900, 1000,
    ]);
    expect([1, 2, 3].map((n) => backoffMs(policy('full'), n, 0, () => 0.999))).toEqual([
      100, 300, 899,
    ]);
    expect(backoffMs(policy('full'), 1, 0, () => 0)).toBe(0);
    expect(backoffMs(policy('equal'), 2, 0, () => 0)).toBe(150);
    expect(backoffMs(policy('equal'), 2, 0, () => 0.999)).toBe(300);
  });

  it('decorrelated: between minDelayMs and 3 x the previous wait, capped by maxDelayMs', () => {
    expect(backoffMs(policy('decorrelated'), 1, 200, () => 0)).toBe(100);
    expect(backoffMs(policy('decorrelated'), 1, 200, () => 0.5)).toBe(350);
    expect(backoffMs(policy('decorrelated'), 1, 200, () => 0.999)).toBe(600);
    expect(backoffMs(policy('decorrelated'), 5, 900, () => 0.999)).toBe(1000);
    // a previous wait below a third of the base: the range is the base itself
    expect(backoffMs(policy('decorrelated'), 1, 10, () => 0.999)).toBe(100);
  });
});

describe('retryable behaviour', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('calls onSuccess with the attempt that succeeded, and onGiveUp with the reason', async () => {
    const onSuccess = jest.fn();
    let n = 0;
    await run(
      retryable({ ...quiet, onSuccess })(async () => {
        if (++n < 2) throw httpError(503);
        return 1;
      })(),
    );
    expect(onSuccess).toHaveBeenCalledWith({ attempts: 2 });

    const gaveUp: GiveUpEvent[] = [];
    const e404 = httpError(404);
    await run(
      retryable({ ...quiet, onGiveUp: (e) => gaveUp.push(e) })(async () => {
        throw e404;
      })(),
    );
    const e503 = httpError(503);
    await run(
      retryable({ ...quiet, onGiveUp: (e) => gaveUp.push(e) })(async () => {
        throw e503;
      })(),
    );
    expect(gaveUp).toEqual([
      { attempts: 1, error: e404, reason: 'not-retryable' },
      { attempts: 3, error: e503, reason: 'exhausted' },
    ]);
  });

  it('retries only when retryOn answers exactly true', async () => {
    for (const answer of [1, 'yes', {}, false]) {
      const fn = jest.fn(async () => {
        throw new Error('x');
      });
      await run(retryable({ ...quiet, retryOn: () => answer as never })(fn)());
      expect(fn).toHaveBeenCalledTimes(1);
    }
  });

  it('passes arguments and this through, and names the wrapper after the function', async () => {
    const obj = {
      k: 2,
      m: retryable(quiet)(async function times(this: { k: number }, a: number, b: number) {
        return this.k * a * b;
      }),
    };
    expect((await run(obj.m(3, 4))).value).toBe(24);
    expect(obj.m.name).toBe('times');
    expect(retryable({ ...quiet, name: 'custom' })(async () => 1).name).toBe('custom');
    const anon = retryable(quiet)([async () => 1][0] as () => Promise<number>);
    expect(anon.name).toBe('call');
  });

  it('logs with the method name under a decorator, and the documented meta', async () => {
    const lines: Array<[string, unknown]> = [];
    class Api {
      @retryable({
        maxAttempts: 2,
        minDelayMs: 1500,
        maxDelayMs: 1500,
        jitter: 'none',
        logger: { ...noopLogger, info: (m, meta) => lines.push([m, meta]) },
      })
      async activate(): Promise<void> {
        throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
      }
    }
    await run(new Api().activate());
    expect(lines).toEqual([
      [
        'retrying activate in 1.5 s after ECONNRESET (attempt 1 of 2)',
        { name: 'activate', attempt: 1, maxAttempts: 2, delayMs: 1500 },
      ],
    ]);
  });

  it('under stacked decorators, names the method, not the wrapper it receives', async () => {
    const lines: string[] = [];
    // another decorator below retryable hands it a wrapper function named "traced"
    const traced = <F extends (...args: never[]) => Promise<unknown>>(fn: F) =>
      async function traced(this: unknown, ...args: never[]) {
        return fn.apply(this, args);
      } as unknown as F;
    class Api {
      @retryable({
        maxAttempts: 2,
        minDelayMs: 1000,
        maxDelayMs: 1000,
        jitter: 'none',
        logger: { ...noopLogger, info: (m) => lines.push(m) },
      })
      @traced
      async admit(): Promise<void> {
        throw httpError(503);
      }
    }
    const api = new Api();
    await run(api.admit());
    expect(lines).toEqual(['retrying admit in 1.0 s after HTTP 503 (attempt 1 of 2)']);
    expect(api.admit.name).toBe('admit');
  });

  it('a throwing logger or onGiveUp never changes the outcome', async () => {
    const err = httpError(503);
    const out = await run(
      retryable({
        minDelayMs: 0,
        maxDelayMs: 0,
        logger: {
          ...noopLogger,
          info: () => {
            throw new Error('log');
          },
        },
        onGiveUp: () => {
          throw new Error('hook');
        },
      })(async () => {
        throw err;
      })(),
    );
    expect(out.error).toBe(err);
  });

  it('an already aborted signal: the function never runs and the reason rejects', async () => {
    const ac = new AbortController();
    ac.abort(new Error('gone'));
    const fn = jest.fn(async () => 1);
    const out = await run(retryable({ ...quiet, signal: ac.signal })(fn)());
    expect(fn).not.toHaveBeenCalled();
    expect((out.error as Error).message).toBe('gone');
  });

  it('an abort during the attempt: no wait starts, onGiveUp says aborted', async () => {
    const ac = new AbortController();
    const gaveUp: GiveUpEvent[] = [];
    const err = httpError(503);
    const fn = jest.fn(async () => {
      ac.abort(new Error('stop'));
      throw err;
    });
    const onRetry = jest.fn();
    const out = await run(
      retryable({
        logger: false,
        signal: ac.signal,
        onRetry,
        onGiveUp: (e) => gaveUp.push(e),
      })(fn)(),
    );
    expect((out.error as Error).message).toBe('stop');
    expect(fn).toHaveBeenCalledTimes(1);
    // #19: the call settles at the abort (a function that ignores its signal no longer holds the
    // caller), so the failure the policy saw is the abort's reason, not the later 503.
    expect(gaveUp).toEqual([{ attempts: 1, error: out.error, reason: 'aborted' }]);
    expect(err).toBeDefined();
  });

  it('an abort during the wait rejects before the timer fires and leaves no listener', async () => {
    const ac = new AbortController();
    const fn = jest.fn(async () => {
      throw httpError(503);
    });
    const p = retryable({
      logger: false,
      signal: ac.signal,
      minDelayMs: 60_000,
      maxDelayMs: 60_000,
      jitter: 'none',
    })(fn)();
    let error: unknown;
    p.catch((e) => {
      error = e;
    });
    await jest.advanceTimersByTimeAsync(1000);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
    ac.abort(new Error('stop'));
    await jest.advanceTimersByTimeAsync(0);
    expect((error as Error).message).toBe('stop');
    expect(jest.getTimerCount()).toBe(0);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('a completed wait removes its abort listener', async () => {
    const ac = new AbortController();
    let n = 0;
    const out = await run(
      retryable({ ...quiet, signal: ac.signal })(async () => {
        if (++n < 3) throw httpError(503);
        return 'ok';
      })(),
    );
    expect(out.value).toBe('ok');
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });

  it('maxElapsedMs: an attempt may start exactly at the limit, not after it', async () => {
    let now = 0;
    const starts: number[] = [];
    const gaveUp: string[] = [];
    await run(
      retryable({
        logger: false,
        maxAttempts: 10,
        minDelayMs: 1000,
        maxDelayMs: 1000,
        jitter: 'none',
        maxElapsedMs: 2000,
        clock: () => now,
        onRetry: (e) => {
          now += e.delayMs;
        },
        onGiveUp: (e) => gaveUp.push(e.reason),
      })(async () => {
        starts.push(now);
        throw httpError(503);
      })(),
    );
    expect(starts).toEqual([0, 1000, 2000]);
    expect(gaveUp).toEqual(['elapsed']);
  });

  it('a budget: each call deposits, each retry withdraws, an empty budget gives up', async () => {
    const budget = new RetryBudget({
      ratio: 1,
      minRetriesPerSecond: 0,
      maxTokens: 10,
      clock: () => 0,
    });
    const gaveUp: string[] = [];
    const fn = jest.fn(async () => {
      throw httpError(503);
    });
    await run(
      retryable({ ...quiet, maxAttempts: 5, budget, onGiveUp: (e) => gaveUp.push(e.reason) })(fn)(),
    );
    // one deposit, one retry, then empty
    expect(fn).toHaveBeenCalledTimes(2);
    expect(gaveUp).toEqual(['budget']);
    expect(budget.tokens).toBe(0);
  });

  it('decorrelated jitter feeds each wait into the next (at least 1 ms)', async () => {
    const events: RetryEvent[] = [];
    await run(
      retryable({
        logger: false,
        maxAttempts: 4,
        minDelayMs: 100,
        maxDelayMs: 10_000,
        jitter: 'decorrelated',
        random: () => 0.999,
        onRetry: (e) => events.push(e),
      })(async () => {
        throw httpError(503);
      })(),
    );
    // 100 + 0.999 * (3 * previous - 100), the first previous being minDelayMs
    expect(events.map((e) => e.delayMs)).toEqual([300, 899, 2694]);
  });

  it('the wait is really that long: the next attempt starts when the timer fires, not before', async () => {
    const fn = jest.fn(async () => {
      throw httpError(503);
    });
    const p = retryable({ logger: false, minDelayMs: 5000, maxDelayMs: 5000, jitter: 'none' })(
      fn,
    )();
    p.catch(() => undefined);
    await jest.advanceTimersByTimeAsync(4999);
    expect(fn).toHaveBeenCalledTimes(1);
    // then async-retry starts the attempt from a 0 ms timer of its own (which Node runs after 1 ms)
    await jest.advanceTimersByTimeAsync(2);
    expect(fn).toHaveBeenCalledTimes(2);
  });
});
