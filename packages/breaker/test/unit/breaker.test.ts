import {
  BreakerConflictError,
  BreakerTimeoutError,
  CircuitOpenError,
  circuitBreaker,
  isCircuitOpenError,
  type StateChangeEvent,
} from '../../src';

let seq = 0;
const uniqueName = () => `unit.${process.pid}.${++seq}`;
/** Lets the promise jobs run (a call reaches its function after the circuit's admission). */
const ticks = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};
const fail = (status = 503) => Object.assign(new Error(`HTTP ${status}`), { status });

describe('circuitBreaker (memory)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function make(extra: Record<string, unknown> = {}) {
    const calls = { n: 0 };
    let mode: 'ok' | 'fail' = 'fail';
    const f = circuitBreaker({
      name: uniqueName(),
      failureThreshold: 3,
      resetTimeoutMs: 1000,
      logger: false,
      ...extra,
    })(async () => {
      calls.n++;
      if (mode === 'fail') throw fail();
      return 'ok';
    });
    return { f, calls, set: (m: 'ok' | 'fail') => (mode = m) };
  }

  it('opens after failureThreshold consecutive failures and then rejects without calling', async () => {
    const { f, calls } = make();
    for (let i = 0; i < 3; i++) await expect(f()).rejects.toMatchObject({ status: 503 });
    expect(f.breaker.state).toBe('open');
    const err = await f().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CircuitOpenError);
    expect(err).toMatchObject({
      name: 'CircuitOpenError',
      code: 'RESIL_BREAKER_OPEN',
      breakerName: f.breaker.name,
      retryAfterMs: 1000,
    });
    expect(isCircuitOpenError(err)).toBe(true);
    expect(calls.n).toBe(3);
    expect(f.breaker.stats).toMatchObject({ calls: 4, failures: 3, rejects: 1 });
  });

  it('a success resets the consecutive count', async () => {
    const { f, set } = make();
    await expect(f()).rejects.toThrow();
    await expect(f()).rejects.toThrow();
    set('ok');
    await f();
    set('fail');
    await expect(f()).rejects.toThrow();
    await expect(f()).rejects.toThrow();
    expect(f.breaker.state).toBe('closed');
  });

  it('does not count HTTP 4xx other than 408/429 (the caller’s fault)', async () => {
    const f = circuitBreaker({ name: uniqueName(), failureThreshold: 1, logger: false })(
      async (s: number) => {
        throw fail(s);
      },
    );
    for (const s of [400, 401, 404, 409, 422])
      await expect(f(s)).rejects.toMatchObject({ status: s });
    expect(f.breaker.state).toBe('closed');
    await expect(f(429)).rejects.toMatchObject({ status: 429 });
    expect(f.breaker.state).toBe('open');
  });

  it('lets exactly one probe through after resetTimeoutMs; its success closes, its failure reopens', async () => {
    const { f, calls, set } = make();
    for (let i = 0; i < 3; i++) await expect(f()).rejects.toThrow();
    jest.advanceTimersByTime(1000);
    set('ok');
    let release!: () => void;
    const slow = circuitBreaker({
      name: f.breaker.name,
      failureThreshold: 3,
      resetTimeoutMs: 1000,
      logger: false,
    })(async () => {
      calls.n++;
      await new Promise<void>((r) => {
        release = r;
      });
      return 'probe';
    });
    const probe = slow();
    await Promise.resolve();
    expect(f.breaker.state).toBe('halfOpen');
    await expect(f()).rejects.toBeInstanceOf(CircuitOpenError); // the probe is running
    release();
    await expect(probe).resolves.toBe('probe');
    expect(f.breaker.state).toBe('closed');
    await slow.breaker.close();
    set('fail');
    for (let i = 0; i < 3; i++) await expect(f()).rejects.toThrow(); // opens again
    jest.advanceTimersByTime(1000);
    await expect(f()).rejects.toMatchObject({ status: 503 }); // the probe fails
    expect(f.breaker.state).toBe('open');
    await expect(f()).rejects.toBeInstanceOf(CircuitOpenError);
  });

  it('counts a call slower than timeoutMs as a failure (BreakerTimeoutError)', async () => {
    const f = circuitBreaker({
      name: uniqueName(),
      failureThreshold: 1,
      timeoutMs: 100,
      logger: false,
    })(() => new Promise(() => {}));
    const p = f().catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(100);
    const err = await p;
    expect(err).toBeInstanceOf(BreakerTimeoutError);
    expect(err).toMatchObject({ code: 'RESIL_BREAKER_TIMEOUT' });
    expect(f.breaker.state).toBe('open');
    expect(f.breaker.stats.timeouts).toBe(1);
  });

  it('returns the fallback on a counted failure and when open, not on an ignored error', async () => {
    const f = circuitBreaker<[number], string>({
      name: uniqueName(),
      failureThreshold: 1,
      logger: false,
      fallback: (e, s) => `fallback ${s} ${isCircuitOpenError(e) ? 'open' : 'failed'}`,
    })(async (s: number) => {
      throw fail(s);
    });
    await expect(f(404)).rejects.toMatchObject({ status: 404 });
    await expect(f(503)).resolves.toBe('fallback 503 failed');
    await expect(f(503)).resolves.toBe('fallback 503 open');
    expect(f.breaker.stats.fallbacks).toBe(2);
  });

  it('a throwing isFailure counts the error as a failure, also when choosing the fallback', async () => {
    const f = circuitBreaker<[number], string>({
      name: uniqueName(),
      failureThreshold: 1,
      logger: false,
      isFailure: () => {
        throw new Error('classifier bug');
      },
      fallback: (e) => (isCircuitOpenError(e) ? 'open' : 'failed'),
    })(async (s: number) => {
      throw fail(s);
    });
    await expect(f(503)).resolves.toBe('failed');
    expect(f.breaker.state).toBe('open');
    await expect(f(503)).resolves.toBe('open');
  });

  it('works as a method decorator and keeps this; one name is one circuit in a process', async () => {
    const name = uniqueName();
    class Client {
      base = 'x';
      @circuitBreaker({ name, failureThreshold: 2, logger: false })
      async call(ok: boolean): Promise<string> {
        if (!ok) throw fail();
        return this.base;
      }
    }
    const c = new Client();
    await expect(c.call(true)).resolves.toBe('x');
    const other = circuitBreaker({ name, failureThreshold: 2, logger: false })(async () => 'other');
    await expect(c.call(false)).rejects.toThrow();
    await expect(c.call(false)).rejects.toThrow();
    await expect(other()).rejects.toBeInstanceOf(CircuitOpenError);
    await other.breaker.close();
  });

  it('emits state changes; a throwing listener changes nothing', async () => {
    const { f, set } = make();
    const seen: StateChangeEvent[] = [];
    f.breaker.onStateChange(() => {
      throw new Error('listener');
    });
    const sub = f.breaker.onStateChange((e) => seen.push(e));
    for (let i = 0; i < 3; i++) await expect(f()).rejects.toMatchObject({ status: 503 });
    jest.advanceTimersByTime(1000);
    set('ok');
    await f();
    sub.dispose();
    expect(seen.map((e) => `${e.from}->${e.to}`)).toEqual([
      'closed->open',
      'open->halfOpen',
      'halfOpen->closed',
    ]);
  });

  it('open() and close() force the state; nextProbeInMs counts down', async () => {
    const { f, calls } = make();
    await f.breaker.open();
    expect(f.breaker.state).toBe('open');
    expect(f.breaker.nextProbeInMs).toBe(1000);
    jest.advanceTimersByTime(400);
    expect(f.breaker.nextProbeInMs).toBe(600);
    await expect(f()).rejects.toBeInstanceOf(CircuitOpenError);
    await f.breaker.forceClose();
    expect(f.breaker.state).toBe('closed');
    await expect(f()).rejects.toMatchObject({ status: 503 });
    expect(calls.n).toBe(1);
  });

  it('reports storage memory without redis', () => {
    const { f } = make();
    expect(f.breaker.storage).toBe('memory');
    expect(f.breaker.degraded).toBe(false);
    expect(f.breaker.failureThreshold).toBe(3);
  });

  it('rejects bad options with an error naming the option', () => {
    expect(() => circuitBreaker({} as never)).toThrow(/name/);
    expect(() => circuitBreaker({ name: 'x', failureThreshold: 0 })).toThrow(/failureThreshold/);
    expect(() => circuitBreaker({ name: 'x', resetTimeoutMs: -1 })).toThrow(/resetTimeoutMs/);
    expect(() => circuitBreaker({ name: 'x', redis: 42 as never })).toThrow(/redis/);
    expect(() => circuitBreaker({ name: 'x', treshold: 3 } as never)).toThrow(/treshold/);
  });

  // Issue #16, finding 10: a half-open probe that never settled (no timeoutMs) kept the circuit
  // rejecting every call of its process for ever, although probeLeaseMs had long passed.
  it('a probe that never settles holds the circuit only for probeLeaseMs; then another call probes, and the late result decides nothing', async () => {
    const name = uniqueName();
    const settings = { name, failureThreshold: 1, resetTimeoutMs: 1000, probeLeaseMs: 5000 };
    let finishHung!: (v: string) => void;
    let failHung!: (e: unknown) => void;
    let reached = 0;
    let mode: 'fail' | 'hang' | 'ok' = 'fail';
    const f = circuitBreaker({ ...settings, logger: false })(async () => {
      reached++;
      if (mode === 'fail') throw fail();
      if (mode === 'ok') return 'ok';
      return new Promise<string>((resolve, reject) => {
        finishHung = resolve;
        failHung = reject;
      });
    });
    await expect(f()).rejects.toMatchObject({ status: 503 });
    expect(f.breaker.state).toBe('open');
    jest.advanceTimersByTime(1000);
    mode = 'hang';
    const hung = f(); // the probe, which never settles
    await ticks();
    expect(f.breaker.state).toBe('halfOpen');
    expect(reached).toBe(2);
    mode = 'ok';
    await expect(f()).rejects.toBeInstanceOf(CircuitOpenError); // the lease is held
    jest.advanceTimersByTime(4999);
    await expect(f()).rejects.toMatchObject({ name: 'CircuitOpenError', retryAfterMs: 1 });
    expect(reached).toBe(2);
    jest.advanceTimersByTime(1);
    await expect(f()).resolves.toBe('ok'); // the lease ran out: this call is the new probe
    expect(reached).toBe(3);
    expect(f.breaker.state).toBe('closed');
    failHung(fail()); // the first probe fails at last: too late to reopen the circuit
    await expect(hung).rejects.toMatchObject({ status: 503 });
    expect(f.breaker.state).toBe('closed');
    void finishHung;
    await f.breaker.close();
  });

  it('a late probe result is fenced also when the new probe is still running', async () => {
    const name = uniqueName();
    const pending: Array<{ ok: () => void; ko: () => void }> = [];
    let mode: 'fail' | 'hang' = 'fail';
    const f = circuitBreaker({
      name,
      failureThreshold: 1,
      resetTimeoutMs: 1000,
      probeLeaseMs: 2000,
      logger: false,
    })(async () => {
      if (mode === 'fail') throw fail();
      return new Promise<string>((resolve, reject) => {
        pending.push({ ok: () => resolve('ok'), ko: () => reject(fail()) });
      });
    });
    await expect(f()).rejects.toThrow();
    jest.advanceTimersByTime(1000);
    mode = 'hang';
    const first = f();
    await ticks();
    jest.advanceTimersByTime(2000);
    const second = f(); // the lease ran out: a new probe
    await ticks();
    expect(pending).toHaveLength(2);
    pending[0]?.ok(); // the stale probe succeeds: it must not close the circuit for the new one
    await expect(first).resolves.toBe('ok');
    expect(f.breaker.state).toBe('halfOpen');
    await expect(f()).rejects.toBeInstanceOf(CircuitOpenError); // still one probe at a time
    pending[1]?.ko(); // the current probe fails: open again
    await expect(second).rejects.toMatchObject({ status: 503 });
    expect(f.breaker.state).toBe('open');
    await f.breaker.close();
  });
});

// Issue #16, finding 11: a second circuitBreaker({ name }) in one process silently reused the
// first one's thresholds.
describe('circuitBreaker registry (one circuit per name in a process)', () => {
  it('refuses a second breaker of the same name with different circuit settings, naming the option', async () => {
    const name = uniqueName();
    const first = circuitBreaker({ name, failureThreshold: 3, logger: false })(async () => 1);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{}, 'failureThreshold'], // the default 5 is not 3
      [{ failureThreshold: 3, resetTimeoutMs: 1000 }, 'resetTimeoutMs'],
      [{ failureThreshold: 3, probeLeaseMs: 10 }, 'probeLeaseMs'],
      [{ failureThreshold: 3, timeoutMs: 50 }, 'probeLeaseMs'], // its default is timeoutMs
      [{ failureThreshold: 3, commandTimeoutMs: 50 }, 'commandTimeoutMs'],
    ];
    for (const [extra, option] of cases) {
      const err = (() => {
        try {
          circuitBreaker({ name, logger: false, ...extra });
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(BreakerConflictError);
      expect(err).toBeInstanceOf(TypeError);
      expect(err).toMatchObject({ code: 'RESIL_BREAKER_CONFLICT', breakerName: name, option });
      expect((err as Error).message).toContain(option);
    }
    await first.breaker.close();
  });

  it('shares the circuit when the settings agree; per-call options may differ; a new breaker may choose again once all are shut down', async () => {
    jest.useFakeTimers();
    try {
      const name = uniqueName();
      const a = circuitBreaker({ name, failureThreshold: 2, probeLeaseMs: 1000, logger: false })(
        async () => {
          throw fail();
        },
      );
      const b = circuitBreaker({
        name,
        failureThreshold: 2,
        probeLeaseMs: 1000,
        timeoutMs: 10,
        isFailure: () => true,
        fallback: () => 'fallback',
        logger: false,
      })(async () => 'b');
      await expect(a()).rejects.toThrow();
      await expect(a()).rejects.toThrow();
      expect(b.breaker.state).toBe('open'); // one circuit
      await expect(b()).resolves.toBe('fallback'); // b's own fallback
      await a.breaker.close();
      await b.breaker.close();
      const c = circuitBreaker({ name, failureThreshold: 7, logger: false })(async () => 'c');
      expect(c.breaker.state).toBe('closed');
      expect(c.breaker.failureThreshold).toBe(7);
      await c.breaker.close();
    } finally {
      jest.useRealTimers();
    }
  });

  it('logs each state change once to each distinct logger of the breakers sharing the circuit', async () => {
    const name = uniqueName();
    const lines = (l: { warn: jest.Mock; info: jest.Mock }) =>
      [...l.warn.mock.calls, ...l.info.mock.calls].map((c) => c[0] as string);
    const one = { debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn() };
    const two = { debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn() };
    const a = circuitBreaker({ name, failureThreshold: 1, logger: one })(async () => {
      throw fail();
    });
    const b = circuitBreaker({ name, failureThreshold: 1, logger: one })(async () => 1);
    const c = circuitBreaker({ name, failureThreshold: 1, logger: two })(async () => 1);
    const d = circuitBreaker({ name, failureThreshold: 1, logger: false })(async () => 1);
    await expect(a()).rejects.toThrow();
    expect(lines(one)).toEqual([`circuit breaker ${name} state changed to open`]);
    expect(lines(two)).toEqual([`circuit breaker ${name} state changed to open`]);
    expect(one.warn.mock.calls[0]?.[1]).toEqual({
      event: 'circuit-opened',
      name,
      breaker: name,
      from: 'closed',
      to: 'open',
    });
    await c.breaker.close(); // its logger leaves with it
    await a.breaker.forceClose();
    expect(lines(one)).toHaveLength(2);
    expect(lines(two)).toHaveLength(1);
    for (const x of [a, b, d]) await x.breaker.close();
  });
});
