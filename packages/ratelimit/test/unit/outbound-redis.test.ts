// Issue #23 (test strength): the outbound limiter's Redis path through the public API, with a fake
// ioredis client that answers the limiter's GCRA command as scripted and emits connection events,
// on fake time. What a user relies on: the exact spacing, window and patience sent to Redis,
// retries of a refusal that is not final, waits bounded by timeoutMs and the signal with typed
// errors, the degraded mode (quarantine of two windows, then a per-process share), the fence sent
// to Redis when it is back, and a missing state treated as lost after a lost connection.
import { createHash } from 'node:crypto';
import { EventEmitter, getEventListeners } from 'node:events';
import { noopLogger } from '@resil/core';
import {
  createRateLimiter,
  ERROR_CODES,
  RateLimitAbortError,
  type RateLimiterOptions,
  RateLimitTimeoutError,
} from '../../src';
import { MemoryWindow } from '../../src/outbound';
import { GCRA } from '../../src/scripts';

type Reply = [string, number];
type Answer = Reply | Error | Promise<Reply>;

/** Arguments of one GCRA call, by name. */
interface GcraCall {
  keys: [string, string];
  interval: number;
  maxWait: number;
  cost: number;
  burst: number;
  points: number;
  windowMs: number;
  fenceMs: number;
  fenceIfMissingMs: number;
  at: number;
}

const GCRA_SHA = createHash('sha1').update(GCRA).digest('hex');

/** A fake ioredis client: the GCRA script by EVALSHA once Redis knows it (after one EVAL). */
class FakeRedis extends EventEmitter {
  status = 'ready';
  /** Scripts sent whole (EVAL): Redis caches them under their SHA-1. */
  readonly defined: Array<[string, unknown]> = [];
  readonly #scripts = new Set<string>();
  readonly calls: GcraCall[] = [];
  /** Scripted answers, in order; then `otherwise`. */
  readonly answers: Answer[] = [];
  otherwise: () => Answer = () => ['0', 1];
  disconnects = 0;
  evalsha(sha: string, numberOfKeys: number, ...a: unknown[]): Promise<Reply> {
    if (!this.#scripts.has(sha)) return Promise.reject(new Error('NOSCRIPT No matching script.'));
    expect(numberOfKeys).toBe(2);
    return this.gcra(...a);
  }
  eval(lua: string, numberOfKeys: number, ...a: unknown[]): Promise<Reply> {
    const sha = createHash('sha1').update(lua).digest('hex');
    this.defined.push(['EVAL', sha]);
    this.#scripts.add(sha);
    expect(numberOfKeys).toBe(2);
    return this.gcra(...a);
  }
  quit(): Promise<string> {
    return Promise.resolve('OK');
  }
  disconnect(): void {
    this.disconnects++;
  }
  gcra(...a: unknown[]): Promise<Reply> {
    const [s, l, interval, maxWait, cost, burst, points, windowMs, fenceMs, fenceIfMissingMs] =
      a as [string, string, number, number, number, number, number, number, number, number];
    this.calls.push({
      keys: [s, l],
      interval,
      maxWait,
      cost,
      burst,
      points,
      windowMs,
      fenceMs,
      fenceIfMissingMs,
      at: performance.now(),
    });
    const answer = this.answers.length > 0 ? (this.answers.shift() as Answer) : this.otherwise();
    if (answer instanceof Error) return Promise.reject(answer);
    return Promise.resolve(answer);
  }
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const settled = <T>(p: Promise<T>) => {
  const state: { done: boolean; value?: T; error?: unknown } = { done: false };
  p.then(
    (value) => {
      state.done = true;
      state.value = value;
    },
    (error: unknown) => {
      state.done = true;
      state.error = error;
    },
  );
  return state;
};

function limiterOn(fake: FakeRedis, o: Partial<RateLimiterOptions> = {}) {
  return createRateLimiter({
    name: 'up',
    points: 4,
    durationMs: 1000,
    margin: 0,
    redis: fake as never,
    logger: false,
    ...o,
  });
}

// on fake time; the hooks stay inside this describe (test/mutation/all-unit.ts loads every unit
// file into one module)
describe('createRateLimiter with a Redis client', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  describe('createRateLimiter with Redis: what it asks the shared script', () => {
    it('sends the script whole once per client (then by SHA) and sends the keys of one slot, the spacing, the window and the bounded patience', async () => {
      const fake = new FakeRedis();
      const a = limiterOn(fake, { keyPrefix: 'p:', burst: 2, margin: 0.25 });
      const other = limiterOn(fake, { name: 'other' });
      await other.tryAcquire();
      fake.calls.length = 0;
      expect(fake.defined).toEqual([['EVAL', GCRA_SHA]]);
      expect(a.storage).toBe('redis');
      expect(a.degraded).toBe(false);

      await a.acquire(); // default patience 60 s: bounded by the horizon (one window)
      await a.tryAcquire(3);
      const patient = settled(a.acquire({ timeoutMs: 100 }));
      await jest.advanceTimersByTimeAsync(0);
      expect(patient.done).toBe(true);
      expect(fake.calls.map(({ at: _at, ...c }) => c)).toEqual([
        {
          keys: ['p:{ratelimit:up}:gcra', 'p:{ratelimit:up}:log'],
          interval: 312.5, // 1000 / 4 × 1.25
          maxWait: 1250, // min(60 000, window)
          cost: 1,
          burst: 2,
          points: 4,
          windowMs: 1250,
          fenceMs: 0,
          fenceIfMissingMs: 0, // nothing granted yet, no connection lost
        },
        {
          keys: ['p:{ratelimit:up}:gcra', 'p:{ratelimit:up}:log'],
          interval: 312.5,
          maxWait: 0, // tryAcquire never waits
          cost: 3,
          burst: 2,
          points: 4,
          windowMs: 1250,
          fenceMs: 0,
          fenceIfMissingMs: 2500, // a recent grant of this process: a missing state was lost
        },
        expect.objectContaining({ maxWait: 100, cost: 1 }),
      ]);

      const plain = new FakeRedis();
      await limiterOn(plain).tryAcquire();
      expect(plain.calls[0]).toMatchObject({
        keys: ['resil:{ratelimit:up}:gcra', 'resil:{ratelimit:up}:log'],
        interval: 250,
        windowMs: 1000,
        burst: 1,
      });
    });

    it('the default margin is 5 % of the spacing and of the window', async () => {
      const fake = new FakeRedis();
      await createRateLimiter({
        name: 'm',
        points: 10,
        durationMs: 2000,
        redis: fake as never,
        logger: false,
      }).tryAcquire();
      expect(fake.calls[0]).toMatchObject({ interval: 210, windowMs: 2100 });
    });

    it('a grant of this process keeps a missing state suspect for two windows after the granted slot', async () => {
      const fake = new FakeRedis();
      const l = limiterOn(fake); // window 1000 ms, quarantine 2000 ms
      // a slot 500 ms ahead, then refusals (a refusal is no grant: it never makes the state suspect)
      fake.answers.push(['500', 1], ['0', 0], ['0', 0]);
      await l.tryAcquire();
      await jest.advanceTimersByTimeAsync(2499);
      await l.tryAcquire();
      await jest.advanceTimersByTimeAsync(1);
      await l.tryAcquire();
      expect(fake.calls.map((c) => c.fenceIfMissingMs)).toEqual([0, 2000, 0]);
      fake.answers.push(['900', 0]);
      await jest.advanceTimersByTimeAsync(5000);
      await l.tryAcquire();
      await l.tryAcquire();
      expect(fake.calls.slice(3).map((c) => c.fenceIfMissingMs)).toEqual([0, 0]);
    });

    it.each(['close', '-node', 'node error'])(
      'after a lost connection (%s) a missing state starts fenced, once',
      async (event) => {
        const fake = new FakeRedis();
        const a = limiterOn(fake);
        const b = limiterOn(fake, { name: 'b' });
        expect(fake.listenerCount(event)).toBe(1); // one listener per client
        await a.tryAcquire();
        await b.tryAcquire();
        await jest.advanceTimersByTimeAsync(10_000);
        await a.tryAcquire();
        fake.emit(event);
        fake.answers.push(new Error('down')); // the first call after the loss fails: still unseen
        await jest.advanceTimersByTimeAsync(10_000);
        await a.tryAcquire();
        await jest.advanceTimersByTimeAsync(10_000);
        await a.tryAcquire();
        await jest.advanceTimersByTimeAsync(10_000);
        await a.tryAcquire();
        await b.tryAcquire();
        expect(fake.calls.map((c) => c.fenceIfMissingMs)).toEqual([0, 0, 0, 2000, 2000, 0, 2000]);
        // a limiter made after the loss never saw the state it could have lost
        await limiterOn(fake, { name: 'late' }).tryAcquire();
        expect(fake.calls.at(-1)?.fenceIfMissingMs).toBe(0);
      },
    );
  });

  describe('createRateLimiter with Redis: waits', () => {
    it('a refusal beyond the horizon is asked again when the slot comes within it; a granted slot is waited for', async () => {
      const fake = new FakeRedis();
      const l = limiterOn(fake); // horizon = window = 1000 ms
      fake.answers.push(['1700', 0], ['300', 1]);
      const start = performance.now();
      const done = settled(l.acquire({ timeoutMs: 10_000 }));
      await jest.advanceTimersByTimeAsync(699);
      expect(fake.calls).toHaveLength(1);
      await jest.advanceTimersByTimeAsync(1);
      expect(fake.calls).toHaveLength(2);
      expect(fake.calls[1]?.at).toBe(start + 700);
      expect(fake.calls[1]?.maxWait).toBe(1000); // patience left 9300, bounded by the horizon
      await jest.advanceTimersByTimeAsync(299);
      expect(done.done).toBe(false);
      expect(l.waiting).toBe(1);
      await jest.advanceTimersByTimeAsync(1);
      expect(done).toEqual({ done: true, value: undefined });
      expect(l.waiting).toBe(0);
    });

    it('a refusal within the horizon is asked again after 1 ms, with the patience left', async () => {
      const fake = new FakeRedis();
      const l = limiterOn(fake);
      fake.answers.push(['100', 0], ['0', 1]);
      const done = settled(l.acquire({ timeoutMs: 500 }));
      await jest.advanceTimersByTimeAsync(0);
      expect(fake.calls).toHaveLength(1);
      await jest.advanceTimersByTimeAsync(1);
      expect(done.done).toBe(true);
      expect(done.error).toBeUndefined();
      expect(fake.calls.map((c) => c.maxWait)).toEqual([500, 499]);
    });

    it('a refusal whose slot is exactly at the deadline is within the patience: asked again', async () => {
      const fake = new FakeRedis();
      const l = limiterOn(fake);
      fake.answers.push(['500', 0], ['0', 1]);
      const done = settled(l.acquire({ timeoutMs: 500 }));
      await jest.advanceTimersByTimeAsync(1);
      expect(done).toEqual({ done: true, value: undefined });
      expect(fake.calls).toHaveLength(2);
    });

    it('timeoutMs must be a number', async () => {
      const l = limiterOn(new FakeRedis());
      await expect(l.acquire({ timeoutMs: '5' as never })).rejects.toThrow(
        new RangeError('acquire: timeoutMs must be a number >= 0'),
      );
      expect(() => createRateLimiter('x' as never)).toThrow(
        new TypeError('createRateLimiter: options must be an object'),
      );
    });

    it('a slot further than timeoutMs rejects at once with the wait, asking once', async () => {
      const fake = new FakeRedis();
      const l = limiterOn(fake);
      fake.answers.push(['5000.2', 0]);
      const err = await l.acquire({ timeoutMs: 1000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RateLimitTimeoutError);
      expect(err).toMatchObject({ code: ERROR_CODES.TIMEOUT, limiter: 'up', waitMs: 5001 });
      expect(fake.calls).toHaveLength(1);
      expect(l.waiting).toBe(0);
    });

    it('a signal aborted while Redis answers rejects with AbortError, granted or not', async () => {
      for (const reply of [
        ['0', 1],
        ['200', 0],
      ] as Reply[]) {
        const fake = new FakeRedis();
        const l = limiterOn(fake);
        const answer = deferred<Reply>();
        fake.answers.push(answer.promise);
        const ac = new AbortController();
        const done = settled(l.acquire({ signal: ac.signal, timeoutMs: 10_000 }));
        await jest.advanceTimersByTimeAsync(0);
        ac.abort();
        answer.resolve(reply);
        await jest.advanceTimersByTimeAsync(0);
        expect(done.done).toBe(true);
        expect(done.error).toBeInstanceOf(RateLimitAbortError);
        expect(fake.calls).toHaveLength(1);
        expect(l.waiting).toBe(0);
      }
    });

    it('a signal aborted during the wait for a granted slot rejects at once and leaves no timer or listener', async () => {
      const fake = new FakeRedis();
      const l = limiterOn(fake);
      fake.answers.push(['400', 1]);
      const ac = new AbortController();
      const done = settled(l.acquire({ signal: ac.signal }));
      await jest.advanceTimersByTimeAsync(100);
      expect(done.done).toBe(false);
      ac.abort(new Error('caller gone'));
      await jest.advanceTimersByTimeAsync(0);
      expect(done.error).toBeInstanceOf(RateLimitAbortError);
      expect((done.error as Error).cause).toEqual(new Error('caller gone'));
      expect(jest.getTimerCount()).toBe(0);
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    });

    it('one signal across many waits keeps no listener once each wait is over', async () => {
      const fake = new FakeRedis();
      const l = limiterOn(fake);
      const ac = new AbortController();
      for (let i = 0; i < 20; i++) {
        fake.answers.push(['10.5', 1]);
        const done = settled(l.acquire({ signal: ac.signal }));
        await jest.advanceTimersByTimeAsync(10);
        expect(done.done).toBe(false); // the wait is rounded up: 11 ms
        await jest.advanceTimersByTimeAsync(1);
        expect(done.done).toBe(true);
      }
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    });
  });

  describe('createRateLimiter with Redis: default logger', () => {
    it('without a logger option, the outage is logged once through core codeLogger "resil.ratelimit" (codes and numbers only; the return is info, below its level)', async () => {
      const lines: string[] = [];
      const write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
        lines.push(String(chunk));
        return true;
      });
      try {
        const fake = new FakeRedis();
        fake.answers.push(new Error('down'));
        const l = createRateLimiter({
          name: 'quiet',
          points: 1,
          durationMs: 1000,
          redis: fake as never,
        });
        expect(await l.tryAcquire()).toBe(false);
        await jest.advanceTimersByTimeAsync(5000);
        expect(await l.tryAcquire()).toBe(true);
        expect(lines.map((line) => JSON.parse(line))).toEqual([
          {
            level: 'warn',
            logger: 'resil.ratelimit',
            event: 'store-degraded',
            name: 'quiet',
            reason: 'failed',
            code: 'RESIL_CORE_REDIS_FAILED',
            fallbackPoints: 1,
            durationMs: 1000,
          },
        ]);
      } finally {
        write.mockRestore();
      }
    });

    it('logger: false logs nothing', async () => {
      const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
      try {
        const fake = new FakeRedis();
        fake.otherwise = () => new Error('down');
        expect(await limiterOn(fake, { logger: false }).tryAcquire()).toBe(false);
        expect(write).not.toHaveBeenCalled();
      } finally {
        write.mockRestore();
      }
    });
  });

  describe('createRateLimiter with Redis: degraded mode', () => {
    it('a failing Redis: degraded and warned once; nothing for two windows; then the share from memory; back: logged, and the first call fences the memory grants', async () => {
      const fake = new FakeRedis();
      fake.otherwise = () => new Error('down');
      const warn = jest.fn();
      const info = jest.fn();
      const l = limiterOn(fake, {
        name: 'dep',
        points: 10,
        burst: 10,
        expectedWorkers: 3,
        logger: { ...noopLogger, warn, info },
      });
      const start = performance.now();
      expect(await l.tryAcquire()).toBe(false);
      expect(l.degraded).toBe(true);
      expect(warn.mock.calls).toEqual([
        [
          'rate limiter: Redis unavailable, limiting in this process',
          {
            event: 'store-degraded',
            name: 'dep',
            reason: 'failed',
            code: 'RESIL_CORE_REDIS_FAILED',
            fallbackPoints: 3,
            durationMs: 1000,
          },
        ],
      ]);
      // quarantine: two windows (2000 ms) from the failure; Redis asked again a second after a failure
      await jest.advanceTimersByTimeAsync(1500);
      expect(await l.tryAcquire()).toBe(false);
      expect(fake.calls).toHaveLength(2);
      expect(warn).toHaveBeenCalledTimes(1);
      await jest.advanceTimersByTimeAsync(500);
      // the share: floor(10 / 3) = 3 units a window, a burst of at most 3
      expect([
        await l.tryAcquire(),
        await l.tryAcquire(),
        await l.tryAcquire(),
        await l.tryAcquire(),
      ]).toEqual([true, true, true, false]);
      expect(performance.now()).toBe(start + 2000);
      const late = await l.acquire({ timeoutMs: 0 }).catch((e: unknown) => e);
      expect(late).toBeInstanceOf(RateLimitTimeoutError);
      expect(info).not.toHaveBeenCalled();
      expect(fake.calls).toHaveLength(2);

      // Redis answers again: not asked until a second after the last failure (t = 2500), then the
      // shared limit, logged, and no Redis grant within a window of the memory grants (the fence)
      fake.otherwise = () => ['0', 1];
      await jest.advanceTimersByTimeAsync(499);
      expect(await l.tryAcquire()).toBe(false);
      expect(fake.calls).toHaveLength(2);
      await jest.advanceTimersByTimeAsync(1);
      expect(await l.tryAcquire()).toBe(true);
      expect(l.degraded).toBe(false);
      expect(info.mock.calls).toEqual([
        [
          'rate limiter: Redis available again, limit shared again',
          { event: 'store-restored', name: 'dep', downMs: 2500 },
        ],
      ]);
      expect(fake.calls.at(-1)).toMatchObject({ fenceMs: 500, fenceIfMissingMs: 2000 });
    });

    it('the share from memory is spaced evenly over the window (margin included), one at a time by default', async () => {
      const fake = new FakeRedis();
      fake.otherwise = () => new Error('down');
      // 10 points over 2 workers: 5 a window of 1000 ms × 1.25, one every 250 ms; quarantine 2500 ms
      const l = limiterOn(fake, { points: 10, expectedWorkers: 2, margin: 0.25 });
      expect(await l.tryAcquire()).toBe(false);
      await jest.advanceTimersByTimeAsync(2499);
      expect(await l.tryAcquire()).toBe(false);
      await jest.advanceTimersByTimeAsync(1);
      expect(await l.tryAcquire()).toBe(true);
      expect(await l.tryAcquire()).toBe(false);
      await jest.advanceTimersByTimeAsync(249);
      expect(await l.tryAcquire()).toBe(false);
      await jest.advanceTimersByTimeAsync(1);
      expect(await l.tryAcquire()).toBe(true);
    });

    it('more workers than points: each process still gets one unit a window', async () => {
      const fake = new FakeRedis();
      fake.otherwise = () => new Error('down');
      const l = limiterOn(fake, { points: 2, expectedWorkers: 5 });
      await l.tryAcquire();
      await jest.advanceTimersByTimeAsync(2000);
      expect(await l.tryAcquire()).toBe(true);
      expect(await l.tryAcquire()).toBe(false);
      await jest.advanceTimersByTimeAsync(1000);
      expect(await l.tryAcquire()).toBe(true);
    });

    it('acquire while Redis is away waits for memory grants only, asking again at least every 250 ms', async () => {
      const fake = new FakeRedis();
      fake.otherwise = () => new Error('down');
      const l = limiterOn(fake, { points: 2, durationMs: 10_000, expectedWorkers: 2 });
      // quarantine 20 s: the wait is that long, in steps of at most 250 ms
      const start = performance.now();
      const done = settled(l.acquire({ timeoutMs: 60_000 }));
      await jest.advanceTimersByTimeAsync(19_999);
      expect(done.done).toBe(false);
      await jest.advanceTimersByTimeAsync(1);
      expect(done).toEqual({ done: true, value: undefined });
      expect(performance.now() - start).toBe(20_000);
      // Redis is asked again once a second (t = 0, 1000, ..., 20 000), not on every step
      expect(fake.calls).toHaveLength(21);
    });

    it('a Redis reply slower than commandTimeoutMs falls back after exactly that long', async () => {
      const fake = new FakeRedis();
      fake.otherwise = () => new Promise<Reply>(() => {});
      const l = limiterOn(fake, { commandTimeoutMs: 120 });
      const done = settled(l.tryAcquire());
      await jest.advanceTimersByTimeAsync(119);
      expect(done.done).toBe(false);
      expect(l.degraded).toBe(false);
      await jest.advanceTimersByTimeAsync(1);
      expect(done).toEqual({ done: true, value: false });
      expect(l.degraded).toBe(true);
    });

    it('a client that is not connected is not asked at all; one still connecting is', async () => {
      const down = new FakeRedis();
      down.status = 'reconnecting';
      const l = limiterOn(down);
      expect(await l.tryAcquire()).toBe(false);
      expect(down.calls).toHaveLength(0);
      expect(l.degraded).toBe(true);
      const starting = new FakeRedis();
      starting.status = 'connecting';
      expect(await limiterOn(starting).tryAcquire()).toBe(true);
      expect(starting.calls).toHaveLength(1);
    });

    it('close() leaves a client passed in to its owner', async () => {
      const fake = new FakeRedis();
      await limiterOn(fake).close();
      expect(fake.disconnects).toBe(0);
    });
  });
});

describe('MemoryWindow: rounding', () => {
  it('the whole burst is free at once after idle, whatever the clock reads (3 × 1000/3 is not 1000 in floating point)', () => {
    for (const start of [2000, 12_345.678, 1_000_000.3]) {
      const w = new MemoryWindow(1000 / 3, 3, 3, 1000, () => start);
      expect([w.take(0, 1), w.take(0, 1), w.take(0, 1)]).toEqual([
        { waitMs: 0, granted: true },
        { waitMs: 0, granted: true },
        { waitMs: 0, granted: true },
      ]);
      expect(w.take(0, 1).granted).toBe(false);
    }
  });
});
