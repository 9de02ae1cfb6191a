import { noopLogger } from '@resil/core';
import {
  attemptsOf,
  backoffMs,
  isRetryable,
  RetryBudget,
  type RetryEvent,
  retryable,
} from '../../src';
import { settle } from '../settle';

const httpError = (status: number, headers?: Record<string, string> | Headers) =>
  Object.assign(new Error(`HTTP ${status}`), { status, ...(headers ? { headers } : {}) });

describe('retryable', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const quiet = { logger: false as const };

  it('exposes the resolved policy with the seed defaults', () => {
    const f = retryable()(async () => 1);
    expect(f.retry).toEqual({
      maxAttempts: 3,
      minDelayMs: 2000,
      maxDelayMs: 10000,
      factor: 2,
      jitter: 'full',
      maxRetryAfterMs: 60000,
      maxElapsedMs: Infinity,
    });
    expect(Object.isFrozen(f.retry)).toBe(true);
  });

  it.each([
    ['HTTP 503', httpError(503), 3],
    ['HTTP 429', httpError(429), 3],
    ['HTTP 408 (statusCode)', Object.assign(new Error('x'), { statusCode: 408 }), 3],
    [
      'HTTP 502 (axios response.status)',
      Object.assign(new Error('x'), { response: { status: 502 } }),
      3,
    ],
    ['ECONNRESET', Object.assign(new Error('x'), { code: 'ECONNRESET' }), 3],
    ['socket hang up', new Error('socket hang up'), 3],
    [
      'fetch failed with ECONNREFUSED cause',
      new TypeError('fetch failed', {
        cause: Object.assign(new Error('c'), { code: 'ECONNREFUSED' }),
      }),
      3,
    ],
    ['a timeout (TimeoutError)', Object.assign(new Error('t'), { name: 'TimeoutError' }), 3],
    ['HTTP 400', httpError(400), 1],
    ['HTTP 404', httpError(404), 1],
    ['HTTP 422', httpError(422), 1],
    [
      'CircuitOpenError',
      Object.assign(new Error('open'), { name: 'CircuitOpenError', code: 'ECIRCUITOPEN' }),
      1,
    ],
    ["opossum's EOPENBREAKER", Object.assign(new Error('open'), { code: 'EOPENBREAKER' }), 1],
    ['an abort', Object.assign(new Error('a'), { name: 'AbortError' }), 1],
    ['a TypeError without a network cause', new TypeError('x is not a function'), 1],
    ['ENOTFOUND', Object.assign(new Error('x'), { code: 'ENOTFOUND' }), 1],
    ['a string', 'oops', 1],
  ])('%s (%p): its attempts, then the original error', async (_label, error, attempts) => {
    const fn = jest.fn(async () => {
      throw error;
    });
    const out = await settle(retryable(quiet)(fn)());
    expect(fn).toHaveBeenCalledTimes(attempts);
    expect(out.error).toBe(error);
    if (typeof error === 'object') expect(attemptsOf(error)).toBe(attempts);
  });

  it('returns the value once an attempt succeeds', async () => {
    let n = 0;
    const f = retryable(quiet)(async (x: number) => {
      if (++n < 3) throw httpError(503);
      return x * 2;
    });
    expect((await settle(f(21))).value).toBe(42);
    expect(n).toBe(3);
  });

  it('works as a TC39 method decorator and keeps this', async () => {
    class Client {
      calls = 0;
      @retryable({ logger: false, minDelayMs: 10, maxDelayMs: 10 })
      async create(name: string): Promise<string> {
        this.calls++;
        if (this.calls < 2) throw httpError(500);
        return `${name}:${this.calls}`;
      }
    }
    const c = new Client();
    expect((await settle(c.create('h'))).value).toBe('h:2');
    expect((c.create as unknown as { retry: { maxAttempts: number } }).retry.maxAttempts).toBe(3);
  });

  it('waits what the policy says for a fixed random source, never above maxDelayMs', async () => {
    const events: RetryEvent[] = [];
    const f = retryable({
      logger: false,
      maxAttempts: 6,
      minDelayMs: 100,
      maxDelayMs: 500,
      random: () => 0.5,
      onRetry: (e) => events.push(e),
    })(async () => {
      throw httpError(503);
    });
    await settle(f());
    expect(events.map((e) => e.delayMs)).toEqual([50, 100, 200, 250, 250]);
    expect(events.map((e) => e.attempt)).toEqual([1, 2, 3, 4, 5]);
  });

  it.each([
    ['none', [100, 200, 400]],
    ['equal', [75, 150, 300]],
    ['full', [50, 100, 200]],
  ] as const)('jitter %s', (jitter, expected) => {
    const policy = {
      maxAttempts: 4,
      minDelayMs: 100,
      maxDelayMs: 1000,
      factor: 2,
      jitter,
      maxRetryAfterMs: 0,
      maxElapsedMs: Infinity,
    };
    expect([1, 2, 3].map((n) => backoffMs(policy, n, 100, () => 0.5))).toEqual(expected);
  });

  it('decorrelated jitter stays between minDelayMs and maxDelayMs', () => {
    const policy = {
      maxAttempts: 10,
      minDelayMs: 100,
      maxDelayMs: 1000,
      factor: 2,
      jitter: 'decorrelated' as const,
      maxRetryAfterMs: 0,
      maxElapsedMs: Infinity,
    };
    let prev = 100;
    for (let i = 1; i < 50; i++) {
      const d = backoffMs(policy, i, prev, Math.random);
      expect(d).toBeGreaterThanOrEqual(100);
      expect(d).toBeLessThanOrEqual(1000);
      prev = d;
    }
  });

  it('honours Retry-After in seconds (even above maxDelayMs) and as an HTTP date, from headers objects or Headers', async () => {
    const delays: number[] = [];
    const now = Date.UTC(2026, 0, 1);
    jest.setSystemTime(now);
    const errors = [
      () => httpError(429, { 'Retry-After': '12' }),
      () =>
        Object.assign(new Error('x'), {
          response: {
            status: 503,
            headers: new Headers({ 'retry-after': new Date(Date.now() + 30_000).toUTCString() }),
          },
        }),
    ];
    let i = 0;
    const f = retryable({ logger: false, onRetry: (e) => delays.push(e.delayMs) })(async () => {
      const make = errors[i++];
      if (make) throw make();
      return 'ok';
    });
    expect((await settle(f())).value).toBe('ok');
    expect(delays[0]).toBe(12_000);
    // An HTTP date has whole seconds; the clock has moved on by async-retry's 0 ms timer.
    expect(delays[1]).toBeGreaterThan(29_000);
    expect(delays[1]).toBeLessThanOrEqual(30_000);
  });

  it('gives up at once when Retry-After is longer than maxRetryAfterMs', async () => {
    const fn = jest.fn(async () => {
      throw httpError(503, { 'retry-after': '120' });
    });
    const onGiveUp = jest.fn();
    const out = await settle(retryable({ logger: false, onGiveUp })(fn)());
    expect(fn).toHaveBeenCalledTimes(1);
    expect(onGiveUp).toHaveBeenCalledWith(
      expect.objectContaining({ reason: 'retry-after-too-long', attempts: 1 }),
    );
    expect(out.error).toBeInstanceOf(Error);
  });

  it('an abort during a wait rejects at once with the abort reason, and no further attempt runs', async () => {
    const ac = new AbortController();
    const fn = jest.fn(async () => {
      throw httpError(503);
    });
    const f = retryable({
      logger: false,
      signal: ac.signal,
      minDelayMs: 5000,
      maxDelayMs: 5000,
      jitter: 'none',
      onRetry: () => ac.abort(new Error('stop')),
    })(fn);
    const p = f();
    const out = await settle(p);
    expect((out.error as Error).message).toBe('stop');
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('maxElapsedMs: no attempt starts after the budget', async () => {
    const fn = jest.fn(async () => {
      throw httpError(503);
    });
    const onGiveUp = jest.fn();
    await settle(
      retryable({
        logger: false,
        maxAttempts: 10,
        minDelayMs: 1000,
        maxDelayMs: 1000,
        jitter: 'none',
        maxElapsedMs: 2500,
        onGiveUp,
      })(fn)(),
    );
    expect(fn).toHaveBeenCalledTimes(3);
    expect(onGiveUp).toHaveBeenCalledWith(expect.objectContaining({ reason: 'elapsed' }));
  });

  it('retryOn replaces the classifier (sync or async); a throwing classifier means no retry', async () => {
    const a = jest.fn(async () => {
      throw new Error('custom');
    });
    await settle(
      retryable({
        logger: false,
        minDelayMs: 1,
        maxDelayMs: 1,
        retryOn: async (e) => (e as Error).message === 'custom',
      })(a)(),
    );
    expect(a).toHaveBeenCalledTimes(3);
    const b = jest.fn(async () => {
      throw httpError(503);
    });
    await settle(
      retryable({
        logger: false,
        retryOn: () => {
          throw new Error('bad');
        },
      })(b)(),
    );
    expect(b).toHaveBeenCalledTimes(1);
  });

  it('a throwing hook never changes the outcome', async () => {
    let n = 0;
    const f = retryable({
      logger: false,
      minDelayMs: 1,
      maxDelayMs: 1,
      onRetry: () => {
        throw new Error('hook');
      },
      onSuccess: () => {
        throw new Error('hook');
      },
    })(async () => {
      if (++n < 2) throw httpError(503);
      return 'ok';
    });
    expect((await settle(f())).value).toBe('ok');
  });

  it('logs each retry with a payload-free line', async () => {
    const lines: Array<[string, Record<string, unknown> | undefined]> = [];
    const f = retryable({
      name: 'hospital-api.create',
      minDelayMs: 2000,
      maxDelayMs: 2000,
      jitter: 'none',
      logger: { ...noopLogger, info: (m, meta) => lines.push([m, meta]) },
    })(async () => {
      throw Object.assign(httpError(503), { message: 'patient 123-45-6789 rejected' });
    });
    await settle(f());
    expect(lines.map(([m]) => m)).toEqual([
      'retrying hospital-api.create in 2.0 s after HTTP 503 (attempt 1 of 3)',
      'retrying hospital-api.create in 4.0 s after HTTP 503 (attempt 2 of 3)'.replace('4.0', '2.0'),
    ]);
    expect(JSON.stringify(lines)).not.toContain('123-45-6789');
  });

  it('rejects bad options with an error naming the option', () => {
    expect(() => retryable({ maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => retryable({ minDelayMs: 10, maxDelayMs: 5 })).toThrow(/maxDelayMs/);
    expect(() => retryable({ jitter: 'some' as never })).toThrow(/jitter/);
    expect(() => retryable({ maxAtempts: 3 } as never)).toThrow(/maxAtempts/);
    expect(() => retryable({ onRetry: 1 as never })).toThrow(/onRetry/);
  });

  it('is really scheduled by async-retry (one attempt per async-retry attempt, no second loop)', async () => {
    jest.resetModules();
    const calls: unknown[] = [];
    jest.doMock('async-retry', () => {
      const actual = jest.requireActual('async-retry');
      return (fn: unknown, opts: unknown) => {
        calls.push(opts);
        return actual(fn, opts);
      };
    });
    const { retryable: fresh } = await import('../../src/retryable');
    let attempts = 0;
    const f = fresh({ logger: false, minDelayMs: 1, maxDelayMs: 1 })(async () => {
      attempts++;
      throw httpError(503);
    });
    await settle(f());
    expect(calls).toEqual([
      { retries: 2, minTimeout: 0, maxTimeout: 0, factor: 1, randomize: false },
    ]);
    expect(attempts).toBe(3);
    jest.dontMock('async-retry');
  });
});

describe('isRetryable', () => {
  it('reads the status from every common shape and never retries a circuit-open error', () => {
    expect(isRetryable({ status: 504 })).toBe(true);
    expect(isRetryable({ statusCode: 425 })).toBe(true);
    expect(isRetryable({ response: { status: 401 } })).toBe(false);
    expect(isRetryable({ name: 'CircuitOpenError', status: 503 })).toBe(false);
    expect(isRetryable(null)).toBe(false);
  });
});

describe('RetryBudget', () => {
  it('under a 100% failure load, retries stay within the ratio (plus the floor)', async () => {
    jest.useFakeTimers();
    const budget = new RetryBudget({
      ratio: 0.1,
      minRetriesPerSecond: 0,
      maxTokens: 1000,
      clock: () => 0,
    });
    let calls = 0;
    const f = retryable({ logger: false, budget, minDelayMs: 0, maxDelayMs: 0 })(async () => {
      calls++;
      throw httpError(503);
    });
    const firstAttempts = 200; // 19 retries, deterministically (ten deposits of 0.1 fall just short of 1)
    for (let i = 0; i < firstAttempts; i++) await settle(f());
    jest.useRealTimers();
    const retries = calls - firstAttempts;
    expect(retries).toBeLessThanOrEqual(firstAttempts * 0.1);
    expect(retries).toBeGreaterThan(firstAttempts * 0.1 - 2);
  });

  it('refills at minRetriesPerSecond and never holds more than maxTokens', () => {
    let now = 0;
    const b = new RetryBudget({ ratio: 0, minRetriesPerSecond: 2, maxTokens: 3, clock: () => now });
    expect(b.tokens).toBe(2);
    expect(b.tryWithdraw()).toBe(true);
    expect(b.tryWithdraw()).toBe(true);
    expect(b.tryWithdraw()).toBe(false);
    now += 10_000;
    expect(b.tokens).toBe(3);
  });

  it('rejects bad settings', () => {
    expect(() => new RetryBudget({ ratio: -1 })).toThrow(/ratio/);
    expect(() => new RetryBudget({ maxTokens: 0 })).toThrow(/maxTokens/);
  });
});
