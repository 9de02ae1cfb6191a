// Issue #23 (test strength): behaviours of src/circuit.ts in memory mode that no test pinned,
// found from the survivors of the `circuit` mutation part. Each test names what a user sees.
import { withCallOptions } from '@resil/core';
import { CircuitOpenError, circuitBreaker } from '../../src';
import { useFakeClock } from '../helpers/clock';
import { closeAfterEach } from '../helpers/track';

let seq = 0;
const uniqueName = () => `circuit-mutation.${process.pid}.${++seq}`;
const track = closeAfterEach();
const fail = () => Object.assign(new Error('down'), { status: 503 });
// One describe around every test: test/mutation/all.ts loads this file with the other tests into one
// Jest file, where hooks at the top level would apply to them all.
describe('circuit.ts in memory mode', () => {
  beforeEach(() => useFakeClock());
  afterEach(() => jest.useRealTimers());

  describe('consecutive mode (memory)', () => {
    it('a failed trial call reopens the circuit with the failure count one higher', async () => {
      let ok = false;
      const f = track(
        circuitBreaker({
          name: uniqueName(),
          failureThreshold: 3,
          resetTimeoutMs: 1_000,
          logger: false,
        })(async () => {
          if (!ok) throw fail();
          return 'ok';
        }),
      );
      for (let i = 0; i < 3; i++) await expect(f()).rejects.toMatchObject({ status: 503 });
      expect(f.breaker.state).toBe('open');
      expect(f.breaker.failures).toBe(3);
      jest.setSystemTime(Date.now() + 1_001);
      await expect(f()).rejects.toMatchObject({ status: 503 });
      expect(f.breaker.state).toBe('open');
      expect(f.breaker.failures).toBe(4);
      ok = true;
      jest.setSystemTime(Date.now() + f.breaker.nextProbeInMs + 1);
      await expect(f()).resolves.toBe('ok');
      expect(f.breaker.state).toBe('closed');
      expect(f.breaker.failures).toBe(0);
    });

    it('forceClose() ends an isolation: a later open() opens, and its reset timeout lets a trial call through', async () => {
      const f = track(
        circuitBreaker({ name: uniqueName(), resetTimeoutMs: 1_000, logger: false })(
          async () => 'ok',
        ),
      );
      await f.breaker.isolate();
      await f.breaker.forceClose();
      expect(f.breaker.state).toBe('closed');
      await f.breaker.open();
      expect(f.breaker.state).toBe('open');
      expect(f.breaker.nextProbeInMs).toBe(1_000);
      await expect(f()).rejects.toBeInstanceOf(CircuitOpenError);
      jest.setSystemTime(Date.now() + 1_001);
      await expect(f()).resolves.toBe('ok');
      expect(f.breaker.state).toBe('closed');
    });

    it('a trial call the caller aborts gives its permit back (halfOpenPermits 2)', async () => {
      let reached = 0;
      const f = track(
        circuitBreaker({
          name: uniqueName(),
          halfOpenPermits: 2,
          resetTimeoutMs: 1_000,
          logger: false,
        })((ctx: { signal: AbortSignal }) => {
          reached++;
          return new Promise<string>((_, reject) =>
            ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)),
          );
        }),
      );
      // called without a context of its own: the breaker passes one
      const plain = f as unknown as () => Promise<string>;
      await f.breaker.open();
      jest.setSystemTime(Date.now() + 1_001);
      const kept = new AbortController();
      const aborted = new AbortController();
      const first = withCallOptions(f as never, { signal: kept.signal })() as Promise<unknown>;
      const second = withCallOptions(f as never, { signal: aborted.signal })() as Promise<unknown>;
      first.catch(() => {});
      for (let i = 0; i < 10 && reached < 2; i++) await Promise.resolve();
      expect(reached).toBe(2);
      // both permits taken: a third call is rejected
      await expect(plain()).rejects.toBeInstanceOf(CircuitOpenError);
      aborted.abort(new Error('caller gave up'));
      await expect(second).rejects.toThrow('caller gave up');
      expect(f.breaker.stats).toMatchObject({ cancelled: 1, failures: 0 });
      expect(f.breaker.state).toBe('halfOpen');
      // the permit went back: the next call is a trial call
      const third = withCallOptions(f as never, { signal: aborted.signal })() as Promise<unknown>;
      await expect(third).rejects.toThrow('caller gave up'); // already aborted: not called
      const fourth = plain();
      fourth.catch(() => {});
      for (let i = 0; i < 10 && reached < 3; i++) await Promise.resolve();
      expect(reached).toBe(3);
      kept.abort(new Error('done'));
      await expect(first).rejects.toThrow('done');
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
          if (k === 'slow' || k === 'slow-f') await new Promise((r) => setTimeout(r, 60));
          if (k === 'f' || k === 'slow-f') throw fail();
          return k;
        }),
      );

    it('breaker.failures is the failure count of the window', async () => {
      const f = rate();
      for (const k of ['f', 's', 'f', 's', 'f']) await f(k).catch(() => {});
      expect(f.breaker.state).toBe('closed');
      expect(f.breaker.failures).toBe(3);
    });

    it('a slow call that fails counts as slow too', async () => {
      const f = rate({ slowCallDurationMs: 25, slowCallRateThreshold: 1 });
      const call = f('slow-f').catch((e: unknown) => e);
      await jest.advanceTimersByTimeAsync(60);
      await expect(call).resolves.toMatchObject({ status: 503 });
      await f('s');
      expect(f.breaker.stats).toMatchObject({ calls: 2, failures: 1, successes: 1, slow: 1 });
    });

    it('configure(): a new mode starts from an empty window and no failures; other changes keep the counts', async () => {
      // consecutive to rate: the consecutive failures are forgotten
      const c = track(
        circuitBreaker({ name: uniqueName(), failureThreshold: 5, logger: false })(async () => {
          throw fail();
        }),
      );
      await c().catch(() => {});
      await c().catch(() => {});
      expect(c.breaker.failures).toBe(2);
      await c.breaker.configure({ mode: 'rate', minimumCalls: 10 });
      expect(c.breaker.failures).toBe(0);

      // a change that is not the mode keeps the window: the 10th failure opens
      const kept = rate();
      for (let i = 0; i < 9; i++) await kept('f').catch(() => {});
      await kept.breaker.configure({ failureRateThreshold: 0.6 });
      expect(kept.breaker.failures).toBe(9);
      await kept('f').catch(() => {});
      expect(kept.breaker.state).toBe('open');

      // rate, consecutive, rate again: the window starts empty
      const renewed = rate();
      for (let i = 0; i < 9; i++) await renewed('f').catch(() => {});
      await renewed.breaker.configure({ mode: 'consecutive', failureThreshold: 100 });
      await renewed.breaker.configure({ mode: 'rate' });
      await renewed('f').catch(() => {});
      expect(renewed.breaker.state).toBe('closed');
      expect(renewed.breaker.failures).toBe(1);
    });

    it('counts made at a later clock reading are not counted once the clock steps back', async () => {
      const f = rate({ windowMs: 10_000 });
      const t0 = Date.now();
      jest.setSystemTime(t0 + 5_000);
      for (let i = 0; i < 9; i++) await f('f').catch(() => {});
      jest.setSystemTime(t0);
      await f('f').catch(() => {});
      expect(f.breaker.state).toBe('closed');
      expect(f.breaker.failures).toBe(1);
    });
  });

  describe('configure() logging', () => {
    it('logs one info line naming the changed options', async () => {
      const n = uniqueName();
      const logger = { debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn() };
      const f = track(circuitBreaker({ name: n, failureThreshold: 5, logger })(async () => 1));
      await f.breaker.configure({ failureThreshold: 7, resetTimeoutMs: 2_000 });
      expect(logger.info).toHaveBeenCalledTimes(1);
      expect(logger.info).toHaveBeenCalledWith(`circuit breaker ${n} configured`, {
        event: 'circuit-configured',
        name: n,
        breaker: n,
        changed: expect.arrayContaining(['failureThreshold', 'resetTimeoutMs']),
      });
      expect(logger.warn).not.toHaveBeenCalled();
      // nothing changed: no line
      await f.breaker.configure({ failureThreshold: 7 });
      expect(logger.info).toHaveBeenCalledTimes(1);
    });
  });

  describe('durations (fake clock: exact)', () => {
    const slowFn = (ms: number) => async (k: unknown) => {
      await new Promise((r) => setTimeout(r, ms));
      if (k === 'f') throw fail();
      if (k === 'bad') return { status: 503, headers: {} };
      return k;
    };
    const settle = async <T>(p: Promise<T>, ms: number) => {
      const caught = p.catch((e: unknown) => e);
      await jest.advanceTimersByTimeAsync(ms);
      return caught;
    };

    it('onFailure alone (no success listener) gets the call’s duration, for a thrown error and for a failed result', async () => {
      const f = track(
        circuitBreaker({ name: uniqueName(), failureThreshold: 10, logger: false })(slowFn(40)),
      );
      const failures: number[] = [];
      f.breaker.onFailure((e) => failures.push(e.durationMs));
      jest.advanceTimersByTime(1_000); // the fake performance.now() starts at 0
      await settle(f('f'), 40);
      await settle(f('bad'), 40);
      expect(failures).toEqual([40, 40]);
    });

    it('onSuccess gets the call’s duration', async () => {
      const f = track(circuitBreaker({ name: uniqueName(), logger: false })(slowFn(30)));
      const successes: number[] = [];
      f.breaker.onSuccess((e) => successes.push(e.durationMs));
      jest.advanceTimersByTime(1_000); // the fake performance.now() starts at 0
      await expect(settle(f('ok'), 30)).resolves.toBe('ok');
      expect(successes).toEqual([30]);
    });

    it('rate mode: a call that takes exactly slowCallDurationMs is slow, one 1 ms shorter is not', async () => {
      const f = track(
        circuitBreaker({
          name: uniqueName(),
          mode: 'rate',
          minimumCalls: 100,
          slowCallDurationMs: 25,
          logger: false,
        })(async (ms: number, k?: unknown) => {
          await new Promise((r) => setTimeout(r, ms));
          if (k === 'f') throw fail();
          return ms;
        }),
      );
      await settle(f(24), 24);
      expect(f.breaker.stats.slow).toBe(0);
      await settle(f(25), 25);
      expect(f.breaker.stats.slow).toBe(1);
      await settle(f(24, 'f'), 24);
      expect(f.breaker.stats.slow).toBe(1);
      await settle(f(25, 'f'), 25);
      expect(f.breaker.stats.slow).toBe(2);
    });
  });

  describe('state-change lines', () => {
    it('half-open is logged at info (only open is a warning); forcing the state it is in logs and emits nothing', async () => {
      const n = uniqueName();
      const logger = { debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn() };
      const f = track(circuitBreaker({ name: n, resetTimeoutMs: 1_000, logger })(async () => 'ok'));
      const changes: string[] = [];
      f.breaker.onStateChange((e) => changes.push(`${e.from}->${e.to}`));
      await f.breaker.open();
      await f.breaker.open();
      expect(changes).toEqual(['closed->open']);
      expect(logger.warn).toHaveBeenCalledTimes(1);
      jest.setSystemTime(Date.now() + 1_001);
      await expect(f()).resolves.toBe('ok');
      expect(changes).toEqual(['closed->open', 'open->halfOpen', 'halfOpen->closed']);
      expect(logger.warn).toHaveBeenCalledTimes(1);
      expect(logger.info.mock.calls.map((c) => c[0])).toEqual([
        `circuit breaker ${n} state changed to halfOpen`,
        `circuit breaker ${n} state changed to closed`,
      ]);
      expect(logger.info.mock.calls[0]?.[1]).toEqual({
        event: 'circuit-half-opened',
        name: n,
        breaker: n,
        from: 'open',
        to: 'halfOpen',
      });
      await f.breaker.forceClose();
      expect(changes).toHaveLength(3);
      expect(logger.info).toHaveBeenCalledTimes(2);
    });
  });
});
