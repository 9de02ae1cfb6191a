// Issue #19 in one process (memory): the call context, timeouts through the signal, decisions on
// results, rate mode, slow calls, trial permits, open-duration back-off, isolate(), configure().
import { callContext, withCallOptions } from '@resil/core';
import {
  BreakerTimeoutError,
  CircuitOpenError,
  circuitBreaker,
  defaultIsFailureResult,
  isBreakerTimeoutError,
} from '../../src';
import { useFakeClock } from '../helpers/clock';
import { closeAfterEach } from '../helpers/track';

let seq = 0;
const uniqueName = () => `policies.${process.pid}.${++seq}`;
const track = closeAfterEach();
const fail = () => Object.assign(new Error('down'), { status: 503 });
const response = (status: number) => ({ status, headers: {} });
afterEach(() => jest.useRealTimers());

describe('call context', () => {
  it('the function receives exactly one context, last, with a signal and attempt 1', async () => {
    const seen: unknown[][] = [];
    const f = track(
      circuitBreaker({ name: uniqueName(), logger: false })(async (...args: unknown[]) => {
        seen.push(args);
        return 'ok';
      }),
    );
    await f('a', 1);
    const outer = callContext({});
    await f('b', outer); // a context from the caller (or an outer policy) is taken off, not stacked
    expect(seen[0]).toHaveLength(3);
    expect(seen[0]?.slice(0, 2)).toEqual(['a', 1]);
    expect(seen[1]).toHaveLength(2);
    for (const args of seen) {
      const ctx = args[args.length - 1] as { signal: AbortSignal; attempt: number };
      expect(ctx.signal).toBeInstanceOf(AbortSignal);
      expect(ctx.attempt).toBe(1);
    }
  });

  it("timeoutMs aborts the attempt's signal and rejects with BreakerTimeoutError, counted as a failure", async () => {
    let signal: AbortSignal | undefined;
    const f = track(
      circuitBreaker({ name: uniqueName(), timeoutMs: 20, failureThreshold: 1, logger: false })(
        (ctx: { signal: AbortSignal }) => {
          signal = ctx.signal;
          return new Promise((_, reject) =>
            ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)),
          );
        },
      ),
    );
    await expect((f as unknown as () => Promise<unknown>)()).rejects.toBeInstanceOf(
      BreakerTimeoutError,
    );
    expect(signal?.aborted).toBe(true);
    expect(isBreakerTimeoutError(signal?.reason)).toBe(true);
    expect(f.breaker.state).toBe('open');
  });

  it("a caller's abort (withCallOptions) stops the attempt and is not counted as a failure", async () => {
    let reached = 0;
    const wrapped = track(
      circuitBreaker({ name: uniqueName(), timeoutMs: 10_000, failureThreshold: 1, logger: false })(
        (ctx: { signal: AbortSignal }) => {
          reached++;
          return new Promise((_, reject) =>
            ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)),
          );
        },
      ),
    );
    const controller = new AbortController();
    const call = withCallOptions(wrapped as never, { signal: controller.signal })();
    await Promise.resolve();
    controller.abort(new Error('caller gave up'));
    await expect(call).rejects.toThrow('caller gave up');
    expect(wrapped.breaker.state).toBe('closed');
    expect(wrapped.breaker.stats).toMatchObject({ failures: 0, cancelled: 1, timeouts: 0 });
    // an already aborted signal: the function is not called at all
    await expect(
      withCallOptions(wrapped as never, { signal: controller.signal })(),
    ).rejects.toThrow('caller gave up');
    expect(reached).toBe(1);
    expect(wrapped.breaker.stats.cancelled).toBe(2);
  });

  it("a per-call timeoutMs (withCallOptions) aborts the signal; the deadline passing is the caller's, not a failure", async () => {
    const f = track(
      circuitBreaker({ name: uniqueName(), failureThreshold: 1, logger: false })(
        (ctx: { signal: AbortSignal }) =>
          new Promise((_, reject) =>
            ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)),
          ),
      ),
    );
    await expect(withCallOptions(f as never, { timeoutMs: 20 })()).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    expect(f.breaker.state).toBe('closed');
  });
});

describe('decisions on results', () => {
  it('by default a resolved Response-like 5xx counts as a failure and is still returned; a 404 does not count', async () => {
    let next = response(503);
    const f = track(
      circuitBreaker({ name: uniqueName(), failureThreshold: 2, logger: false })(async () => next),
    );
    await expect(f()).resolves.toEqual({ status: 503, headers: {} });
    expect(f.breaker.failures).toBe(1);
    next = response(404);
    await expect(f()).resolves.toEqual({ status: 404, headers: {} });
    expect(f.breaker.failures).toBe(0);
    next = response(502);
    await f();
    await f();
    expect(f.breaker.state).toBe('open');
    expect(f.breaker.stats.failures).toBe(3);
  });

  it('isFailureResult decides; false turns it off; a throwing predicate means "not a failure"', async () => {
    const marked = track(
      circuitBreaker({
        name: uniqueName(),
        failureThreshold: 1,
        isFailureResult: (r) => r === 'bad',
        logger: false,
      })(async (v: unknown) => v),
    );
    await expect(marked('good')).resolves.toBe('good');
    expect(marked.breaker.state).toBe('closed');
    await expect(marked('bad')).resolves.toBe('bad');
    expect(marked.breaker.state).toBe('open');
    const off = track(
      circuitBreaker({
        name: uniqueName(),
        failureThreshold: 1,
        isFailureResult: false,
        logger: false,
      })(async () => response(503)),
    );
    await off();
    expect(off.breaker.state).toBe('closed');
    const throwing = track(
      circuitBreaker({
        name: uniqueName(),
        failureThreshold: 1,
        isFailureResult: () => {
          throw new Error('x');
        },
        logger: false,
      })(async () => 1),
    );
    await expect(throwing()).resolves.toBe(1);
    expect(throwing.breaker.state).toBe('closed');
    expect(() => circuitBreaker({ name: uniqueName(), isFailureResult: 1 as never })).toThrow(
      /isFailureResult/,
    );
  });

  it('defaultIsFailureResult: 5xx, 408 and 429 Response-likes only', () => {
    expect([500, 503, 599, 408, 429].map((s) => defaultIsFailureResult(response(s)))).toEqual(
      Array(5).fill(true),
    );
    expect([200, 404, 400, 600].map((s) => defaultIsFailureResult(response(s)))).toEqual(
      Array(4).fill(false),
    );
    expect(defaultIsFailureResult({ status: 503 })).toBe(false); // no headers: not a Response
    expect(defaultIsFailureResult(null)).toBe(false);
    expect(defaultIsFailureResult(503)).toBe(false);
  });
});

describe("mode: 'rate' (memory)", () => {
  const rate = (extra: object = {}) =>
    track(
      circuitBreaker({
        name: uniqueName(),
        mode: 'rate',
        minimumCalls: 10,
        failureRateThreshold: 0.5,
        logger: false,
        ...extra,
      })(async (k: unknown) => {
        if (k === 'f') throw fail();
        if (k === 'slow') await new Promise((r) => setTimeout(r, 60));
        return k;
      }),
    );

  it('does not open before minimumCalls, even at 100 % failures; opens on the minimumCalls-th', async () => {
    const f = rate();
    for (let i = 0; i < 9; i++) await f('f').catch(() => {});
    expect(f.breaker.state).toBe('closed');
    await f('f').catch(() => {});
    expect(f.breaker.state).toBe('open');
  });

  it('stays closed below the threshold and opens when the rate reaches it', async () => {
    const f = rate();
    for (let i = 0; i < 10; i++) for (const k of ['s', 's', 'f']) await f(k).catch(() => {});
    expect(f.breaker.state).toBe('closed'); // 30 calls, 33 %
    for (let i = 0; i < 9; i++) await f('f').catch(() => {});
    expect(f.breaker.state).toBe('closed'); // 39 calls, 19 failures
    await f('f').catch(() => {});
    expect(f.breaker.state).toBe('open'); // 40 calls, 20 failures: 50 %
  });

  it('forgets calls older than windowMs', async () => {
    useFakeClock();
    const f = rate({ windowMs: 1_000 });
    for (let i = 0; i < 9; i++) await f('f').catch(() => {});
    jest.setSystemTime(Date.now() + 1_100);
    await f('f').catch(() => {});
    expect(f.breaker.state).toBe('closed');
  });

  it('slow calls: the slow-call rate opens the circuit', async () => {
    // Fake clock (performance.now too): a fast call takes 0 ms even on a machine that stalls the
    // event loop for longer than slowCallDurationMs, and a slow one exactly 60 ms.
    useFakeClock();
    const f = rate({ minimumCalls: 4, slowCallDurationMs: 25, slowCallRateThreshold: 0.5 });
    const slow = async () => {
      const call = f('slow');
      await jest.advanceTimersByTimeAsync(60);
      await call;
    };
    await f('s');
    await f('s');
    await slow();
    expect(f.breaker.state).toBe('closed');
    expect(f.breaker.stats.slow).toBe(1);
    await slow();
    expect(f.breaker.state).toBe('open');
    expect(f.breaker.stats.slow).toBe(2);
  });
});

describe('half-open permits, back-off, isolate', () => {
  beforeEach(() => useFakeClock());

  it('halfOpenPermits: N trial calls, the next one rejected; all N must succeed to close', async () => {
    const pending: Array<() => void> = [];
    const f = track(
      circuitBreaker({
        name: uniqueName(),
        halfOpenPermits: 2,
        resetTimeoutMs: 1_000,
        logger: false,
      })(() => new Promise<string>((resolve) => pending.push(() => resolve('ok')))),
    );
    await f.breaker.open();
    jest.setSystemTime(Date.now() + 1_001);
    const a = f();
    const b = f();
    await expect(f()).rejects.toBeInstanceOf(CircuitOpenError);
    await Promise.resolve();
    expect(pending).toHaveLength(2);
    pending[0]?.();
    await a;
    expect(f.breaker.state).toBe('halfOpen');
    pending[1]?.();
    await b;
    expect(f.breaker.state).toBe('closed');
  });

  it('the open duration backs off on repeated failed probes, up to resetTimeoutMaxMs, and starts again after a close', async () => {
    let ok = false;
    const f = track(
      circuitBreaker({
        name: uniqueName(),
        resetTimeoutMs: 1_000,
        resetTimeoutMaxMs: 3_000,
        resetBackoffFactor: 2,
        logger: false,
      })(async () => {
        if (!ok) throw fail();
        return 'ok';
      }),
    );
    await f.breaker.open();
    expect(f.breaker.nextProbeInMs).toBe(1_000);
    const durations: number[] = [];
    for (let i = 0; i < 3; i++) {
      jest.setSystemTime(Date.now() + f.breaker.nextProbeInMs + 1);
      await f().catch(() => {});
      durations.push(f.breaker.nextProbeInMs);
    }
    expect(durations).toEqual([2_000, 3_000, 3_000]);
    ok = true;
    jest.setSystemTime(Date.now() + 3_001);
    await f();
    expect(f.breaker.state).toBe('closed');
    await f.breaker.open();
    expect(f.breaker.nextProbeInMs).toBe(1_000);
    expect(() =>
      circuitBreaker({ name: uniqueName(), resetTimeoutMs: 2_000, resetTimeoutMaxMs: 1_000 }),
    ).toThrow(RangeError);
  });

  it('isolate() holds the circuit open past the reset timeout until release()', async () => {
    let reached = 0;
    const f = track(
      circuitBreaker({ name: uniqueName(), resetTimeoutMs: 100, logger: false })(async () => {
        reached++;
        return 'ok';
      }),
    );
    await f.breaker.isolate();
    jest.setSystemTime(Date.now() + 86_400_000);
    await expect(f()).rejects.toBeInstanceOf(CircuitOpenError);
    await f.breaker.open(); // an operator's open does not end the isolation
    jest.setSystemTime(Date.now() + 1_000);
    await expect(f()).rejects.toBeInstanceOf(CircuitOpenError);
    expect(reached).toBe(0);
    await f.breaker.release();
    await expect(f()).resolves.toBe('ok');
  });
});

describe('configure()', () => {
  it('validates like the constructor, applies, fires onConfigured, and keeps the constructor options valid for a second breaker', async () => {
    const n = uniqueName();
    const f = track(circuitBreaker({ name: n, failureThreshold: 5, logger: false })(async () => 1));
    await expect(f.breaker.configure({ failureRateThreshold: 2 })).rejects.toThrow(RangeError);
    await expect(f.breaker.configure({ failureThreshold: 0 })).rejects.toThrow(/failureThreshold/);
    await expect(f.breaker.configure({ name: 'x' } as never)).rejects.toThrow(TypeError);
    await expect(f.breaker.configure({ mode: 'other' as never })).rejects.toThrow(/mode/);
    expect(f.breaker.failureThreshold).toBe(5);
    const seen: string[][] = [];
    f.breaker.onConfigured((e) => seen.push([...e.changed]));
    const r = await f.breaker.configure({ failureThreshold: 2, mode: 'rate' });
    expect(r.shared).toBe(false);
    expect(r.settings).toMatchObject({ failureThreshold: 2, mode: 'rate' });
    expect(f.breaker.mode).toBe('rate');
    expect(seen).toEqual([['mode', 'failureThreshold']]);
    // same options as the first: no conflict although its settings were changed at run time
    const g = track(circuitBreaker({ name: n, failureThreshold: 5, logger: false })(async () => 2));
    expect(g.breaker.failureThreshold).toBe(2);
  });

  it('configure({ timeoutMs }) overrides the breakers’ own timeout', async () => {
    const f = track(
      circuitBreaker({ name: uniqueName(), logger: false })(
        (ctx: { signal: AbortSignal }) =>
          new Promise((_, reject) =>
            ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)),
          ),
      ),
    );
    await f.breaker.configure({ timeoutMs: 20 });
    await expect((f as unknown as () => Promise<unknown>)()).rejects.toBeInstanceOf(
      BreakerTimeoutError,
    );
  });
});
