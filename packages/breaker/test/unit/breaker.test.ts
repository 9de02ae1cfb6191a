import {
  BreakerTimeoutError,
  CircuitOpenError,
  circuitBreaker,
  isCircuitOpenError,
  type StateChangeEvent,
} from '../../src';

let seq = 0;
const uniqueName = () => `unit.${process.pid}.${++seq}`;
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
      code: 'ECIRCUITOPEN',
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
    const slow = circuitBreaker({ name: f.breaker.name, logger: false })(async () => {
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
    slow.breaker.shutdown();
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
    const other = circuitBreaker({ name, logger: false })(async () => 'other');
    await expect(c.call(false)).rejects.toThrow();
    await expect(c.call(false)).rejects.toThrow();
    await expect(other()).rejects.toBeInstanceOf(CircuitOpenError);
    other.breaker.shutdown();
  });

  it('emits state changes; a throwing listener changes nothing', async () => {
    const { f, set } = make();
    const seen: StateChangeEvent[] = [];
    f.breaker.on('stateChange', () => {
      throw new Error('listener');
    });
    const off = f.breaker.onStateChange((e) => seen.push(e));
    for (let i = 0; i < 3; i++) await expect(f()).rejects.toMatchObject({ status: 503 });
    jest.advanceTimersByTime(1000);
    set('ok');
    await f();
    off();
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
    await f.breaker.close();
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
});
