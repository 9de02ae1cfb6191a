// The public contract in memory mode, one behaviour per test: option validation at each bound,
// defaults, defaultIsFailure on each status form, error fields and messages, events and their
// payloads, stats, the wrapper's name and this, shutdown. (Issue #23: these pin what the mutation
// run found only executed.)
import { callContext, isCallContext, isResilError, ResilError } from '@resil/core';
import {
  BreakerConflictError,
  BreakerTimeoutError,
  CircuitOpenError,
  circuitBreaker,
  defaultIsFailure,
  ERROR_CODES,
  isBreakerTimeoutError,
  isCircuitOpenError,
  LEGACY_OPEN_CODE,
} from '../../src';
import { closeAfterEach } from '../helpers/track';

let seq = 0;
const uniqueName = () => `contract.${process.pid}.${++seq}`;
const fail = (status = 503) => Object.assign(new Error(`HTTP ${status}`), { status });
const track = closeAfterEach();
afterEach(() => jest.useRealTimers());

const thrown = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('did not throw');
};

describe('options', () => {
  it('refuses a non-object, naming options', () => {
    for (const bad of [null, undefined, 'x', 3]) {
      const e = thrown(() => circuitBreaker(bad as never));
      expect(e).toBeInstanceOf(TypeError);
      expect((e as Error).message).toBe('circuitBreaker: options must be an object');
    }
  });

  it('refuses an unknown option with a TypeError naming it', () => {
    const e = thrown(() => circuitBreaker({ name: 'x', treshold: 1 } as never));
    expect(e).toBeInstanceOf(TypeError);
    expect((e as Error).message).toBe('circuitBreaker: unknown option "treshold"');
  });

  it('accepts every documented option', () => {
    const f = track(
      circuitBreaker({
        name: uniqueName(),
        failureThreshold: 1,
        resetTimeoutMs: 1,
        timeoutMs: 1,
        isFailure: () => true,
        fallback: () => 1,
        keyPrefix: 'p:',
        commandTimeoutMs: 1,
        probeLeaseMs: 1,
        logger: false,
        telemetry: false,
      })(async () => 1),
    );
    expect(f.breaker.failureThreshold).toBe(1);
    expect(f.breaker.resetTimeoutMs).toBe(1);
  });

  it('name: a string of 1 to 200 characters (TypeError for a non-string, RangeError for a length outside)', () => {
    for (const bad of [5, undefined]) {
      const e = thrown(() => circuitBreaker({ name: bad as never }));
      expect(e).toBeInstanceOf(TypeError);
      expect(e).toMatchObject({ code: 'RESIL_CORE_OPTION_TYPE', option: 'name' });
      expect((e as Error).message).toBe('circuitBreaker: name must be a string');
    }
    for (const bad of ['', 'x'.repeat(201)]) {
      const e = thrown(() => circuitBreaker({ name: bad }));
      expect(e).toBeInstanceOf(RangeError);
      expect(e).toMatchObject({ code: 'RESIL_CORE_OPTION_RANGE', option: 'name' });
      expect((e as Error).message).toBe(
        'circuitBreaker: name must be a string of 1 to 200 characters',
      );
    }
    const f = track(circuitBreaker({ name: 'n'.repeat(200), logger: false })(async () => 1));
    expect(f.breaker.name).toBe('n'.repeat(200));
    const g = track(
      circuitBreaker({ name: `${uniqueName()}x`.slice(-1), logger: false })(async () => 1),
    );
    expect(g.breaker.name).toHaveLength(1);
  });

  it.each([
    ['failureThreshold', 1],
    ['resetTimeoutMs', 1],
    ['timeoutMs', 1],
    ['commandTimeoutMs', 1],
    ['probeLeaseMs', 1],
  ])('%s: an integer >= %d (RangeError naming it; TypeError for a non-number)', (option, min) => {
    for (const bad of [min - 1, 1.5, Number.NaN, '5', Number.POSITIVE_INFINITY]) {
      const e = thrown(() => circuitBreaker({ name: uniqueName(), [option]: bad }));
      expect(e).toBeInstanceOf(typeof bad === 'number' ? RangeError : TypeError);
      expect(e).toMatchObject({ option });
      expect((e as Error).message).toBe(`circuitBreaker: ${option} must be an integer >= ${min}`);
    }
    const f = track(
      circuitBreaker({ name: uniqueName(), logger: false, [option]: min })(async () => 1),
    );
    expect(f.breaker.state).toBe('closed');
  });

  it('keyPrefix must be a string; isFailure and fallback functions; redis a client or URL', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ keyPrefix: 5 }, 'circuitBreaker: keyPrefix must be a string'],
      [{ isFailure: 'x' }, 'circuitBreaker: isFailure must be a function'],
      [{ fallback: {} }, 'circuitBreaker: fallback must be a function'],
      [
        { redis: {} },
        'circuitBreaker: redis must be an ioredis or node-redis client or cluster, or a URL',
      ],
      [
        { redis: null },
        'circuitBreaker: redis must be an ioredis or node-redis client or cluster, or a URL',
      ],
    ];
    for (const [extra, message] of cases) {
      const e = thrown(() => circuitBreaker({ name: uniqueName(), ...extra }));
      expect(e).toBeInstanceOf(TypeError);
      expect((e as Error).message).toBe(message);
    }
  });

  // Issue #18: keys come from @resil/core's keyBuilder, `${keyPrefix}{breaker:${name}}`; a brace
  // would move the hash tag, so it is refused where it would (RangeError naming the option).
  it('keyPrefix must not contain { or }; with redis, name must not contain } (the hash tag)', () => {
    for (const [extra, option] of [
      [{ keyPrefix: 'app{1}:' }, 'keyPrefix'],
      [{ name: 'a}b', redis: 'redis://127.0.0.1:1' }, 'name'],
    ] as const) {
      const e = thrown(() => circuitBreaker({ name: uniqueName(), ...extra }));
      expect(e).toBeInstanceOf(RangeError);
      expect(e).toMatchObject({ option });
    }
    // without redis the name has no key: a } is fine
    const f = track(circuitBreaker({ name: `${uniqueName()}}`, logger: false })(async () => 1));
    expect(f.breaker.storage).toBe('memory');
  });

  it('defaults: failureThreshold 5, resetTimeoutMs 60000, probeLeaseMs = timeoutMs, else 30000', async () => {
    jest.useFakeTimers();
    const n = uniqueName();
    let mode: 'fail' | 'hang' = 'fail';
    const f = track(
      circuitBreaker({ name: n, logger: false })(async () => {
        if (mode === 'fail') throw fail();
        return new Promise<string>(() => {});
      }),
    );
    for (let i = 0; i < 4; i++) await expect(f()).rejects.toMatchObject({ status: 503 });
    expect(f.breaker.state).toBe('closed');
    await expect(f()).rejects.toMatchObject({ status: 503 });
    expect(f.breaker.state).toBe('open');
    expect(f.breaker.failureThreshold).toBe(5);
    expect(f.breaker.resetTimeoutMs).toBe(60_000);
    expect(f.breaker.nextProbeInMs).toBe(60_000);
    jest.advanceTimersByTime(60_000);
    mode = 'hang';
    void f();
    await Promise.resolve();
    expect(f.breaker.state).toBe('halfOpen');
    expect(f.breaker.nextProbeInMs).toBe(30_000); // the default lease
    // a breaker of the same name with timeoutMs 30000 agrees (probeLeaseMs derived from it)
    expect(() =>
      track(circuitBreaker({ name: n, timeoutMs: 30_000, logger: false })(async () => 1)),
    ).not.toThrow();
    const e = thrown(() => circuitBreaker({ name: n, timeoutMs: 1000, logger: false }));
    expect(e).toMatchObject({ option: 'probeLeaseMs' });
  });

  it('the default logger (logger not given) is core’s codeLogger: one JSON line on stderr at warn, with the event and the name only', async () => {
    const n = uniqueName();
    const f = track(
      circuitBreaker({ name: n, failureThreshold: 1 })(async () => {
        throw fail();
      }),
    );
    const lines: string[] = [];
    const write = jest
      .spyOn(process.stderr, 'write')
      .mockImplementation((chunk: string | Uint8Array) => {
        lines.push(String(chunk));
        return true;
      });
    try {
      await expect(f()).rejects.toMatchObject({ status: 503 });
      await f.breaker.forceClose(); // info: below the default level, not written
    } finally {
      write.mockRestore();
    }
    expect(f.breaker.state).toBe('closed');
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { level: 'warn', logger: 'resil.breaker', event: 'circuit-opened', name: n },
    ]);
  });

  it('logger: a Logger (debug, info, warn, error) or false; anything else is a TypeError naming it', () => {
    for (const bad of [{ warn() {}, info() {} }, 'console', true, null]) {
      const e = thrown(() => circuitBreaker({ name: uniqueName(), logger: bad as never }));
      expect(e).toBeInstanceOf(TypeError);
      expect(e).toMatchObject({ option: 'logger' });
    }
  });
});

describe('defaultIsFailure', () => {
  it('HTTP 4xx other than 408 and 429 do not count, in status, statusCode or response.status', () => {
    for (const s of [400, 401, 403, 404, 409, 422, 499]) {
      expect(defaultIsFailure({ status: s })).toBe(false);
      expect(defaultIsFailure({ statusCode: s })).toBe(false);
      expect(defaultIsFailure({ response: { status: s } })).toBe(false);
    }
    for (const s of [408, 429, 500, 503, 399, 500, 302]) {
      expect(defaultIsFailure({ status: s })).toBe(true);
      expect(defaultIsFailure({ statusCode: s })).toBe(true);
      expect(defaultIsFailure({ response: { status: s } })).toBe(true);
    }
  });

  it('the first numeric status wins (status, then statusCode, then response.status); strings are not statuses', () => {
    expect(defaultIsFailure({ status: 404, statusCode: 500 })).toBe(false);
    expect(defaultIsFailure({ status: '404', statusCode: 500 })).toBe(true);
    expect(defaultIsFailure({ statusCode: 500, response: { status: 404 } })).toBe(true);
    expect(defaultIsFailure({ status: '404', response: { status: 404 } })).toBe(false);
    expect(defaultIsFailure({ response: null })).toBe(true);
  });

  it('anything else counts; a circuit-open error (of any copy) does not', () => {
    for (const e of [new Error('x'), null, undefined, 'boom', 42, {}])
      expect(defaultIsFailure(e)).toBe(true);
    expect(defaultIsFailure(new CircuitOpenError('x', 1))).toBe(false);
    expect(defaultIsFailure({ code: 'RESIL_BREAKER_OPEN' })).toBe(false);
    expect(defaultIsFailure(new BreakerTimeoutError('x', 1))).toBe(true);
  });
});

describe('errors', () => {
  it('codes are stable', () => {
    expect(ERROR_CODES).toEqual({
      OPEN: 'RESIL_BREAKER_OPEN',
      TIMEOUT: 'RESIL_BREAKER_TIMEOUT',
      CONFLICT: 'RESIL_BREAKER_CONFLICT',
    });
    expect(Object.isFrozen(ERROR_CODES)).toBe(true);
  });

  it('CircuitOpenError and BreakerTimeoutError are core ResilErrors; the conflict error is a TypeError with a RESIL code; 0.1.0’s open code is still recognised', () => {
    for (const e of [new CircuitOpenError('svc', 1), new BreakerTimeoutError('svc', 1)]) {
      expect(e).toBeInstanceOf(ResilError);
      expect(isResilError(e)).toBe(true);
    }
    const conflict = new BreakerConflictError('svc', 'failureThreshold', 3, 5);
    expect(conflict).toBeInstanceOf(TypeError);
    expect(isResilError(conflict)).toBe(true);
    expect(LEGACY_OPEN_CODE).toBe('ECIRCUITOPEN');
    expect(isCircuitOpenError({ code: 'ECIRCUITOPEN' })).toBe(true);
    expect(defaultIsFailure({ code: 'ECIRCUITOPEN' })).toBe(false);
  });

  it('CircuitOpenError: name, code, fields, message; retryAfterMs rounded and never negative', () => {
    const e = new CircuitOpenError('svc', 1234.6);
    expect(e).toBeInstanceOf(Error);
    expect(e).toMatchObject({
      name: 'CircuitOpenError',
      code: 'RESIL_BREAKER_OPEN',
      breakerName: 'svc',
      retryAfterMs: 1235,
    });
    expect(e.message).toBe('circuit "svc" is open; next probe in 1235 ms');
    const n = new CircuitOpenError('svc', -5);
    expect(n.retryAfterMs).toBe(0);
    expect(n.message).toBe('circuit "svc" is open; next probe in 0 ms');
  });

  it('BreakerTimeoutError: name, code, fields, message', () => {
    const e = new BreakerTimeoutError('svc', 250);
    expect(e).toMatchObject({
      name: 'BreakerTimeoutError',
      code: 'RESIL_BREAKER_TIMEOUT',
      breakerName: 'svc',
      timeoutMs: 250,
    });
    expect(e.message).toBe('call through "svc" timed out after 250 ms');
  });

  it('BreakerConflictError: a TypeError with name, code, fields and a message naming both values', () => {
    const e = new BreakerConflictError('svc', 'failureThreshold', 3, 5);
    expect(e).toBeInstanceOf(TypeError);
    expect(e).toMatchObject({
      name: 'BreakerConflictError',
      code: 'RESIL_BREAKER_CONFLICT',
      breakerName: 'svc',
      option: 'failureThreshold',
    });
    expect(e.message).toBe(
      'circuitBreaker: failureThreshold 5 conflicts with failureThreshold 3 of the breaker "svc" already in this process; breakers with one name share one circuit, so give them the same failureThreshold (or another name)',
    );
  });

  it('isCircuitOpenError and isBreakerTimeoutError test the code only', () => {
    expect(isCircuitOpenError({ code: 'RESIL_BREAKER_OPEN' })).toBe(true);
    expect(isBreakerTimeoutError({ code: 'RESIL_BREAKER_TIMEOUT' })).toBe(true);
    for (const x of [null, undefined, 'RESIL_BREAKER_OPEN', {}, { code: 'OTHER' }]) {
      expect(isCircuitOpenError(x)).toBe(false);
      expect(isBreakerTimeoutError(x)).toBe(false);
    }
    expect(isCircuitOpenError({ code: 'RESIL_BREAKER_TIMEOUT' })).toBe(false);
    expect(isBreakerTimeoutError({ code: 'RESIL_BREAKER_OPEN' })).toBe(false);
  });
});

describe('calls, events and stats', () => {
  it('success and failure events carry name and a duration; failure carries the error’s code and status, never the error; only counted failures', async () => {
    const n = uniqueName();
    const f = track(
      circuitBreaker({ name: n, failureThreshold: 10, logger: false })(
        // the call context comes last: optional parameters must check their type (issue #19)
        async (s?: unknown, code?: unknown) => {
          if (typeof code === 'string') throw Object.assign(new Error('socket'), { code });
          if (typeof s === 'number') throw fail(s);
          return 'ok';
        },
      ),
    );
    const events: Array<[string, Record<string, unknown>]> = [];
    const onSuccess = f.breaker.onSuccess((e) => events.push(['success', { ...e }]));
    f.breaker.onFailure((e) => events.push(['failure', { ...e }]));
    await f();
    await f(503).catch(() => {});
    await f(404).catch(() => {});
    expect(events.map(([k]) => k)).toEqual(['success', 'failure']);
    expect(events[0]?.[1]).toEqual({ name: n, durationMs: expect.any(Number) });
    expect(events[1]?.[1]).toEqual({ name: n, durationMs: expect.any(Number), status: 503 });
    expect(events[0]?.[1].durationMs).toBeGreaterThanOrEqual(0);
    await f(undefined, 'ECONNRESET').catch(() => {});
    // a code that is free text (it could carry data) is left out
    await f(undefined, 'patient 123-45-6789 not found').catch(() => {});
    expect(events.slice(2)).toEqual([
      ['failure', { name: n, durationMs: expect.any(Number), code: 'ECONNRESET' }],
      ['failure', { name: n, durationMs: expect.any(Number) }],
    ]);
    onSuccess.dispose();
    await f();
    expect(events).toHaveLength(4);
    expect(f.breaker.stats).toEqual({
      calls: 6,
      successes: 2,
      failures: 3,
      rejects: 0,
      timeouts: 0,
      ignored: 1,
      fallbacks: 0,
      cancelled: 0,
      slow: 0,
      flushes: 0,
    });
    expect(f.breaker.failures).toBe(0); // a success ends the run of consecutive failures
    await f(503).catch(() => {});
    await f(404).catch(() => {});
    expect(f.breaker.failures).toBe(0); // an ignored error (404) ends the run of consecutive failures, as a success does
  });

  it('reject and timeout events carry their payloads; stats is a copy', async () => {
    jest.useFakeTimers();
    const n = uniqueName();
    const f = track(
      circuitBreaker({
        name: n,
        failureThreshold: 1,
        resetTimeoutMs: 5000,
        timeoutMs: 50,
        logger: false,
      })(() => new Promise(() => {})),
    );
    const seen: unknown[] = [];
    f.breaker.onTimeout((e) => seen.push(['timeout', e]));
    f.breaker.onRejected((e) => seen.push(['reject', e]));
    const p = f().catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(50);
    expect(await p).toMatchObject({ code: 'RESIL_BREAKER_TIMEOUT', timeoutMs: 50, breakerName: n });
    jest.advanceTimersByTime(1000);
    await expect(f()).rejects.toMatchObject({ retryAfterMs: 4000 });
    expect(seen).toEqual([
      ['timeout', { name: n, timeoutMs: 50 }],
      ['reject', { name: n, code: 'RESIL_BREAKER_OPEN', retryAfterMs: 4000 }],
    ]);
    const s = f.breaker.stats;
    s.calls = 99;
    expect(f.breaker.stats.calls).toBe(2);
  });

  it('a call that settles before timeoutMs leaves no timer and counts no timeout', async () => {
    jest.useFakeTimers();
    const f = track(
      circuitBreaker({ name: uniqueName(), timeoutMs: 1000, logger: false })(async () => 'fast'),
    );
    await expect(f()).resolves.toBe('fast');
    expect(jest.getTimerCount()).toBe(0);
    expect(f.breaker.stats.timeouts).toBe(0);
  });

  it('a success after failures resets the count to 0; while closed without failures nextProbeInMs is 0', async () => {
    const f = track(
      circuitBreaker({ name: uniqueName(), failureThreshold: 3, logger: false })(
        async (ok: boolean) => {
          if (!ok) throw fail();
          return ok;
        },
      ),
    );
    await f(false).catch(() => {});
    await f(false).catch(() => {});
    expect(f.breaker.failures).toBe(2);
    await f(true);
    expect(f.breaker.failures).toBe(0);
    expect(f.breaker.nextProbeInMs).toBe(0);
  });

  it('a failure of a call that started before the circuit opened is not counted again', async () => {
    const n = uniqueName();
    let release!: () => void;
    const slow = track(
      circuitBreaker({ name: n, failureThreshold: 1, logger: false })(
        () => new Promise((_, reject) => (release = () => reject(fail()))),
      ),
    );
    const p = slow();
    await Promise.resolve();
    await slow.breaker.open();
    const failures = slow.breaker.failures;
    release();
    await expect(p).rejects.toMatchObject({ status: 503 });
    expect(slow.breaker.state).toBe('open');
    expect(slow.breaker.failures).toBe(failures);
  });

  it('the fallback gets the error and the arguments; a non-object rejection (a string) goes to the fallback', async () => {
    const seen: unknown[] = [];
    const f = track(
      circuitBreaker<[number, string], string>({
        name: uniqueName(),
        failureThreshold: 5,
        logger: false,
        fallback: (e, a, b) => {
          seen.push([e, a, b]);
          return 'fb';
        },
      })(async (_a: number, _b: string): Promise<string> => {
        throw 'plain';
      }),
    );
    await expect(f(1, 'two')).resolves.toBe('fb');
    expect(seen).toEqual([['plain', 1, 'two']]);
    expect(f.breaker.stats.fallbacks).toBe(1);
  });

  it('an isFailure returning anything but false counts; false does not', async () => {
    const results: unknown[] = [undefined, 0, 'no'];
    const f = track(
      circuitBreaker({
        name: uniqueName(),
        failureThreshold: 100,
        logger: false,
        isFailure: () => results.shift() as boolean,
      })(async () => {
        throw fail();
      }),
    );
    for (let i = 0; i < 3; i++) await f().catch(() => {});
    expect(f.breaker.failures).toBe(3);
    const g = track(
      circuitBreaker({
        name: uniqueName(),
        failureThreshold: 1,
        logger: false,
        isFailure: () => false,
      })(async () => {
        throw fail();
      }),
    );
    await g().catch(() => {});
    expect(g.breaker.state).toBe('closed');
    expect(g.breaker.stats.ignored).toBe(1);
  });

  it('the wrapper keeps the function name (the method name as a decorator), this and arguments, and exposes breaker', async () => {
    async function fetchThing(this: { k: string }, a: number) {
      return `${this.k}${a}`;
    }
    const f = track(circuitBreaker({ name: uniqueName(), logger: false })(fetchThing));
    expect(f.name).toBe('fetchThing');
    expect(await f.call({ k: 'k' }, 1)).toBe('k1');
    expect(Object.keys(f)).toContain('breaker');
    const e = thrown(() => circuitBreaker({ name: uniqueName(), logger: false })(5 as never));
    expect(e).toBeInstanceOf(TypeError);
    expect((e as Error).message).toBe('circuitBreaker: expected a function to wrap');
    const n = uniqueName();
    class C {
      @circuitBreaker({ name: n, logger: false })
      async method(): Promise<string> {
        return 'm';
      }
    }
    expect(C.prototype.method.name).toBe('method');
    track(C.prototype.method as never);
  });

  it('shutdown() twice releases the circuit once; a logger leaves with its breaker', async () => {
    const n = uniqueName();
    const logger = { debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn() };
    const a = circuitBreaker({ name: n, failureThreshold: 1, logger })(async () => {
      throw fail();
    });
    const b = track(circuitBreaker({ name: n, failureThreshold: 1, logger: false })(async () => 1));
    await a.breaker.close();
    await a.breaker.close(); // a second shutdown must not release b's reference
    // b still holds the circuit: a breaker with other settings is refused
    expect(() => circuitBreaker({ name: n, failureThreshold: 2 })).toThrow(BreakerConflictError);
    await b.breaker.open();
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it('a logger shared by two breakers logs each line once and stays until both are shut down', async () => {
    const n = uniqueName();
    const logger = { debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn() };
    const a = circuitBreaker({ name: n, failureThreshold: 1, logger })(async () => 1);
    const b = track(circuitBreaker({ name: n, failureThreshold: 1, logger })(async () => 1));
    await a.breaker.open();
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn).toHaveBeenCalledWith(`circuit breaker ${n} state changed to open`, {
      event: 'circuit-opened',
      name: n,
      breaker: n,
      from: 'closed',
      to: 'open',
    });
    await a.breaker.close();
    await b.breaker.forceClose();
    expect(logger.info).toHaveBeenCalledWith(`circuit breaker ${n} state changed to closed`, {
      event: 'circuit-closed',
      name: n,
      breaker: n,
      from: 'open',
      to: 'closed',
    });
    expect(logger.warn).toHaveBeenCalledTimes(1);
  });

  it('a throwing logger never changes the outcome', async () => {
    const logger = {
      debug: () => {
        throw new Error('log');
      },
      warn: () => {
        throw new Error('log');
      },
      info: () => {
        throw new Error('log');
      },
      error: () => {
        throw new Error('log');
      },
    };
    const f = track(
      circuitBreaker({ name: uniqueName(), failureThreshold: 1, logger })(async () => {
        throw fail();
      }),
    );
    await expect(f()).rejects.toMatchObject({ status: 503 });
    expect(f.breaker.state).toBe('open');
  });

  it('ready() and refresh() resolve at once in memory mode', async () => {
    const f = track(circuitBreaker({ name: uniqueName(), logger: false })(async () => 1));
    await expect(f.breaker.ready()).resolves.toBeUndefined();
    await expect(f.breaker.refresh()).resolves.toBeUndefined();
    expect(f.breaker.state).toBe('closed');
  });
});

describe('the call context on the closed path (issue #19 overhead: no copy of the arguments)', () => {
  it.each([0, 1, 2, 3])(
    'with %i argument(s), the function gets exactly them and one context last; the fallback gets them without it',
    async (n) => {
      const got: unknown[][] = [];
      const caller = new AbortController();
      const f = circuitBreaker({
        name: `ctx.arity.${n}.${Math.random()}`,
        logger: false,
        fallback: (_e: unknown, ...a: unknown[]) => a,
      })(async (...a: unknown[]) => {
        got.push(a);
        if (a[0] === 'fail') throw new Error('down');
        return 'ok';
      });
      const args = Array.from({ length: n }, (_, i) => `a${i}`);
      await expect(f(...args)).resolves.toBe('ok');
      await expect(f(...args, callContext({ signal: caller.signal }))).resolves.toBe('ok');
      const failing = n === 0 ? [] : ['fail', ...args.slice(1)];
      const viaFallback = await f(...failing);
      for (const a of got) {
        expect(a).toHaveLength(n + 1);
        expect(isCallContext(a.at(-1))).toBe(true);
        expect((a.at(-1) as { attempt: number }).attempt).toBe(1);
      }
      expect(got[0]?.slice(0, n)).toEqual(args);
      expect((got[1]?.at(-1) as { signal?: AbortSignal } | undefined)?.signal).toBe(caller.signal);
      // n = 0: the function succeeds, no fallback; otherwise the fallback gets the caller's arguments
      expect(viaFallback).toEqual(n === 0 ? 'ok' : failing);
      await f.close();
    },
  );

  it('with timeoutMs, the function gets its own signal (aborted on the time-out), after its arguments', async () => {
    let seen: unknown[] = [];
    const f = circuitBreaker({
      name: `ctx.timeout.${Math.random()}`,
      logger: false,
      timeoutMs: 20,
    })((...a: unknown[]) => {
      seen = a;
      return new Promise(() => {});
    });
    await expect(f('x', 'y')).rejects.toMatchObject({ code: 'RESIL_BREAKER_TIMEOUT' });
    expect(seen.slice(0, 2)).toEqual(['x', 'y']);
    expect((seen[2] as { signal: AbortSignal }).signal.aborted).toBe(true);
    await f.close();
  });
});
