// Issue #23 (mutation score of outbound.ts): the outbound limiter's option and argument bounds at
// their edges, with the exact messages and the `option` field of core's OptionRangeError (the
// exact messages alone are also in contract.test.ts; the field was asserted nowhere), and the
// defaults a caller relies on without setting them (maxQueue 1000, commandTimeoutMs 300), through
// the public API on fake time.
import { EventEmitter } from 'node:events';
import { createRateLimiter, type RateLimiterOptions, RateLimitQueueFullError } from '../../src';
import { MemoryWindow } from '../../src/outbound';

const base: RateLimiterOptions = { name: 'opt', points: 4, durationMs: 1000, logger: false };
const make = (o: Record<string, unknown>) => () => createRateLimiter({ ...base, ...o } as never);

describe('createRateLimiter: option bounds at their edges', () => {
  it.each([
    [{ margin: '0.1' }, 'margin must be a number in [0, 1)'],
    [{ margin: -0.01 }, 'margin must be a number in [0, 1)'],
    [{ margin: 1 }, 'margin must be a number in [0, 1)'],
    [{ margin: Number.NaN }, 'margin must be a number in [0, 1)'],
    [{ burst: 5 }, 'burst must be at most points'],
    [{ name: 'a}b' }, 'name must be without "}" (it would end the hash tag of its keys)'],
    [{ name: 'n'.repeat(201) }, 'name must be a string of 1 to 200 characters'],
    [
      { keyPrefix: 'p{' },
      'keyPrefix must be without "{" or "}" (they would move the hash tag of its keys)',
    ],
    [
      { keyPrefix: 'p}' },
      'keyPrefix must be without "{" or "}" (they would move the hash tag of its keys)',
    ],
    [{ maxQueue: -1 }, 'maxQueue must be an integer >= 0'],
    [{ expectedWorkers: 0 }, 'expectedWorkers must be an integer >= 1'],
    [{ commandTimeoutMs: 0 }, 'commandTimeoutMs must be an integer >= 1'],
    [{ burst: 0 }, 'burst must be an integer >= 1'],
  ])('%j is refused: %s; the error names the option in its `option` field', (o, message) => {
    expect(make(o)).toThrow(new RangeError(`createRateLimiter: ${message}`));
    let err: unknown;
    try {
      make(o)();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RangeError);
    expect(err).toMatchObject({
      name: 'OptionRangeError',
      code: 'RESIL_CORE_OPTION_RANGE',
      option: Object.keys(o)[0],
    });
  });

  it.each([
    { margin: 0 },
    { margin: 0.999 },
    { burst: 4 },
    { name: 'n'.repeat(200) },
    { keyPrefix: '' },
    { maxQueue: 0 },
    { expectedWorkers: 1 },
    { commandTimeoutMs: 1 },
  ])('%j is accepted', (o) => {
    expect(make(o)).not.toThrow();
  });
});

describe('createRateLimiter: argument bounds of acquire and tryAcquire', () => {
  it('cost: an integer from 1 to points, else a RangeError with the bound; nothing is taken', async () => {
    const l = createRateLimiter({ ...base, burst: 4 });
    for (const cost of [0, 1.5, 5, Number.NaN]) {
      await expect(l.acquire({ cost })).rejects.toThrow(
        new RangeError('acquire: cost must be an integer from 1 to points (4)'),
      );
      await expect(l.tryAcquire(cost)).rejects.toThrow(
        new RangeError('tryAcquire: cost must be an integer from 1 to points (4)'),
      );
    }
    expect(l.waiting).toBe(0);
    expect(await l.tryAcquire(4)).toBe(true);
  });

  it('timeoutMs: a number >= 0 (0: only a token free now)', async () => {
    const l = createRateLimiter({ ...base, burst: 4 });
    for (const timeoutMs of [-1, -0.001, Number.NaN])
      await expect(l.acquire({ timeoutMs })).rejects.toThrow(
        new RangeError('acquire: timeoutMs must be a number >= 0'),
      );
    await expect(l.acquire({ timeoutMs: 0, cost: 4 })).resolves.toBeUndefined();
  });
});

describe('createRateLimiter: defaults', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('maxQueue defaults to 1000 waiting callers', async () => {
    const l = createRateLimiter({ ...base, points: 1, durationMs: 60_000 });
    expect(await l.tryAcquire()).toBe(true);
    const ac = new AbortController();
    const waits = Array.from({ length: 1000 }, () =>
      l.acquire({ signal: ac.signal }).catch(() => undefined),
    );
    expect(l.waiting).toBe(1000);
    await expect(l.acquire()).rejects.toBeInstanceOf(RateLimitQueueFullError);
    ac.abort();
    await Promise.all(waits);
    expect(l.waiting).toBe(0);
  });

  it('commandTimeoutMs defaults to 300 ms: a Redis reply slower than that falls back to memory', async () => {
    const fake = Object.assign(new EventEmitter(), {
      status: 'ready',
      evalsha: () => new Promise(() => {}),
      eval: () => new Promise(() => {}),
      quit: () => Promise.resolve('OK'),
      disconnect() {},
    });
    const l = createRateLimiter({ ...base, redis: fake as never });
    let answer: boolean | undefined;
    void l.tryAcquire().then((ok) => {
      answer = ok;
    });
    await jest.advanceTimersByTimeAsync(299);
    expect(answer).toBeUndefined();
    expect(l.degraded).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(answer).toBe(false); // memory: in quarantine
    expect(l.degraded).toBe(true);
  });
});

describe('createRateLimiter in memory: expectedWorkers', () => {
  it('is about sharing through Redis: a limiter in memory grants all its points', async () => {
    const l = createRateLimiter({ ...base, burst: 4, expectedWorkers: 2 });
    const grants = [];
    for (let i = 0; i < 5; i++) grants.push(await l.tryAcquire());
    expect(grants).toEqual([true, true, true, true, false]);
  });
});

describe('MemoryWindow: the rounding tolerance', () => {
  it('a wait under a microsecond is no wait; one of a microsecond is a wait', () => {
    const at = (fenceMs: number) => {
      const w = new MemoryWindow(250, 1, 4, 1000, () => 0);
      w.fence(fenceMs);
      return w.take(0, 1);
    };
    expect(at(0.9e-6)).toEqual({ waitMs: 0, granted: true });
    expect(at(1e-6)).toEqual({ waitMs: 1e-6, granted: false });
  });
});
