// Issue #19: the call context ({ signal, attempt, deadline }) a retry policy passes to each
// attempt, per-call options, the deadline covering attempts and waits, and failure results.
import { type CallContext, callContext, isCallContext, withCallOptions } from '@resil/core';
import { attemptsOf, type GiveUpEvent, retryable } from '../../src';
import { settle } from '../settle';

const httpError = (status: number) => Object.assign(new Error(`HTTP ${status}`), { status });
const quiet = { logger: false as const, minDelayMs: 0, maxDelayMs: 0 };

/** Resolves when `signal` fires (bounded by the test's own timeout). */
const aborted = (signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });

describe('retryable: the call context of each attempt', () => {
  it('each attempt receives exactly one context last, with its attempt number; the arguments are unchanged', async () => {
    const seen: unknown[][] = [];
    const fn = async (a: number, b: string, ctx?: CallContext) => {
      seen.push([a, b, ctx]);
      if (ctx?.attempt !== 3) throw httpError(503);
      return 'ok';
    };
    const outer = callContext();
    await expect(retryable({ ...quiet, maxAttempts: 3 })(fn)(1, 'x', outer)).resolves.toBe('ok');
    expect(seen.map((s) => s.length)).toEqual([3, 3, 3]);
    expect(seen.map((s) => [s[0], s[1]])).toEqual([
      [1, 'x'],
      [1, 'x'],
      [1, 'x'],
    ]);
    const contexts = seen.map((s) => s[2] as CallContext);
    expect(contexts.every(isCallContext)).toBe(true);
    expect(contexts.map((c) => c.attempt)).toEqual([1, 2, 3]);
    // a child signal per attempt, never the caller's own
    expect(new Set(contexts.map((c) => c.signal)).size).toBe(3);
    expect(contexts.some((c) => c.signal === outer.signal)).toBe(false);
  });

  it("a failed attempt's signal fires before the next attempt starts; a successful one's does not", async () => {
    const contexts: CallContext[] = [];
    const abortedAtNext: boolean[] = [];
    const fn = async (ctx: CallContext) => {
      if (contexts.length > 0) abortedAtNext.push((contexts.at(-1) as CallContext).signal.aborted);
      contexts.push(ctx);
      if (ctx.attempt < 3) throw httpError(503);
      return 'ok';
    };
    await expect(
      retryable({ ...quiet, maxAttempts: 3 })(fn as (ctx?: CallContext) => Promise<string>)(),
    ).resolves.toBe('ok');
    expect(abortedAtNext).toEqual([true, true]);
    expect((contexts[2] as CallContext).signal.aborted).toBe(false);
  });

  it("when the policy gives up, the last attempt's signal fires (what it left running stops)", async () => {
    let last: CallContext | undefined;
    const fn = async (ctx?: CallContext) => {
      last = ctx;
      throw httpError(400); // not retryable
    };
    await expect(retryable(quiet)(fn)()).rejects.toMatchObject({ status: 400 });
    expect(last?.signal.aborted).toBe(true);
  });

  it("the caller's abort reaches the running attempt's signal and settles the call at once, even if the function ignores it", async () => {
    const ac = new AbortController();
    let ctx: CallContext | undefined;
    let began: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      began = resolve;
    });
    const fn = (c?: CallContext) => {
      ctx = c;
      began();
      return new Promise<never>(() => {}); // ignores its signal, never settles
    };
    const call = withCallOptions(retryable(quiet)(fn), { signal: ac.signal })();
    await started;
    expect(ctx?.signal.aborted).toBe(false);
    const reason = new Error('caller gone');
    ac.abort(reason);
    await expect(call).rejects.toBe(reason);
    expect(ctx?.signal.aborted).toBe(true);
  });

  it('a per-call signal stops the wait between attempts at once; other calls of the policy go on', async () => {
    jest.useFakeTimers();
    try {
      const ac = new AbortController();
      const gaveUp: GiveUpEvent[] = [];
      let calls = 0;
      const fn = async (_ctx?: CallContext) => {
        calls++;
        throw httpError(503);
      };
      const policy = retryable({
        logger: false,
        minDelayMs: 60_000,
        maxDelayMs: 60_000,
        jitter: 'none',
        onGiveUp: (e) => gaveUp.push(e),
        onRetry: () => ac.abort(new Error('stop')),
      });
      const wrapped = policy(fn);
      const out = await settle(withCallOptions(wrapped, { signal: ac.signal })());
      expect((out.error as Error).message).toBe('stop');
      expect(calls).toBe(1);
      expect(gaveUp.map((g) => g.reason)).toEqual(['aborted']);
      expect(jest.getTimerCount()).toBe(0); // the 60 s wait was cleared
      // another call of the same policy is not aborted
      const other = await settle(policy(fn)());
      expect(other.error).toMatchObject({ status: 503 });
    } finally {
      jest.useRealTimers();
    }
  });

  it('a deadline covers the waits: no wait starts that would end after it (given up at once, the error kept)', async () => {
    const gaveUp: GiveUpEvent[] = [];
    const onRetry = jest.fn();
    let calls = 0;
    const fn = async (_ctx?: CallContext) => {
      calls++;
      throw httpError(503);
    };
    const wrapped = retryable({
      logger: false,
      maxAttempts: 5,
      minDelayMs: 600_000,
      maxDelayMs: 600_000,
      jitter: 'none',
      onRetry,
      onGiveUp: (e) => gaveUp.push(e),
    })(fn);
    const err = await withCallOptions(wrapped, { timeoutMs: 60_000 })().catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 503 });
    expect(calls).toBe(1);
    expect(onRetry).not.toHaveBeenCalled();
    expect(gaveUp).toEqual([expect.objectContaining({ attempts: 1, reason: 'deadline' })]);
    expect(attemptsOf(err)).toBe(1);
  });

  it('a wait that ends before the deadline is made; the deadline is the same for every attempt', async () => {
    const deadlines: Array<number | undefined> = [];
    const fn = async (ctx?: CallContext) => {
      deadlines.push(ctx?.deadline);
      if ((ctx?.attempt ?? 0) < 3) throw httpError(503);
      return 'ok';
    };
    const deadline = Date.now() + 60_000;
    await expect(
      withCallOptions(retryable({ ...quiet, maxAttempts: 3 })(fn), { deadline })(),
    ).resolves.toBe('ok');
    expect(deadlines).toEqual([deadline, deadline, deadline]);
  });

  it('a deadline that passes during an attempt aborts its signal and rejects, even if the function ignores it; not retried', async () => {
    let ctx: CallContext | undefined;
    let calls = 0;
    const gaveUp: GiveUpEvent[] = [];
    const fn = (c?: CallContext) => {
      calls++;
      ctx = c;
      return new Promise<never>(() => {});
    };
    const wrapped = retryable({ ...quiet, maxAttempts: 5, onGiveUp: (e) => gaveUp.push(e) })(fn);
    const err = await withCallOptions(wrapped, { timeoutMs: 30 })().catch((e: unknown) => e);
    expect((err as Error).name).toBe('TimeoutError');
    expect(calls).toBe(1);
    expect(ctx?.signal.aborted).toBe(true);
    expect(gaveUp.map((g) => g.reason)).toEqual(['deadline']);
  });

  it("a deadline whose timer fires before the wall clock reads it is still the deadline, not the caller's abort", async () => {
    // The deadline's signal is a timer: it may fire up to a millisecond before Date.now() reaches
    // the deadline (seen on Node 22 in CI). A clock 5 ms behind makes that every time.
    const gaveUp: GiveUpEvent[] = [];
    const wrapped = retryable({
      ...quiet,
      maxAttempts: 5,
      clock: () => Date.now() - 5,
      onGiveUp: (e) => gaveUp.push(e),
    })(() => new Promise<never>(() => {}));
    const err = await withCallOptions(wrapped, { timeoutMs: 30 })().catch((e: unknown) => e);
    expect((err as Error).name).toBe('TimeoutError');
    expect(gaveUp.map((g) => g.reason)).toEqual(['deadline']);
    // the caller's own abort, before the deadline, stays 'aborted'
    const caller = new AbortController();
    const aborted = withCallOptions(wrapped, { timeoutMs: 60_000, signal: caller.signal })();
    caller.abort(new Error('caller gave up'));
    await expect(aborted).rejects.toThrow('caller gave up');
    expect(gaveUp.map((g) => g.reason)).toEqual(['deadline', 'aborted']);
  });

  it('a deadline already passed: no attempt starts', async () => {
    const fn = jest.fn(async (_ctx?: CallContext) => 'ok');
    const wrapped = retryable(quiet)(fn);
    const err = await wrapped(callContext({ deadline: Date.now() - 1 })).catch((e: unknown) => e);
    expect((err as Error).name).toBe('TimeoutError');
    expect(fn).not.toHaveBeenCalled();
  });

  it("a caller's signal already aborted: no attempt starts", async () => {
    const fn = jest.fn(async (_ctx?: CallContext) => 'ok');
    const reason = new Error('gone');
    const err = await withCallOptions(retryable(quiet)(fn), {
      signal: AbortSignal.abort(reason),
    })().catch((e: unknown) => e);
    expect(err).toBe(reason);
    expect(fn).not.toHaveBeenCalled();
  });

  it("an outer policy's context is honoured: its abort reaches the inner attempts", async () => {
    const ac = new AbortController();
    let inner: CallContext | undefined;
    const innerFn = retryable(quiet)((c?: CallContext) => {
      inner = c;
      return new Promise<never>(() => {});
    });
    const outerFn = retryable(quiet)((c?: CallContext) => innerFn(c));
    const call = outerFn(callContext({ signal: ac.signal })).catch((e: unknown) => e);
    await new Promise<void>((r) => setImmediate(r));
    expect(inner?.signal.aborted).toBe(false);
    ac.abort(new Error('x'));
    await aborted(inner?.signal as AbortSignal);
    expect(await call).toMatchObject({ message: 'x' });
  });
});

describe('retryable: failure results (isFailureResult)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('a Response with status 503 is retried, waiting at least its Retry-After; the success after it is returned', async () => {
    const delays: number[] = [];
    let calls = 0;
    const fn = async (_ctx?: CallContext) =>
      ++calls === 1
        ? new Response(null, { status: 503, headers: { 'retry-after': '7' } })
        : new Response('fine', { status: 200 });
    const out = await settle(retryable({ ...quiet, onRetry: (e) => delays.push(e.delayMs) })(fn)());
    expect((out.value as Response).status).toBe(200);
    expect(calls).toBe(2);
    expect(delays).toEqual([7000]);
  });

  it('when attempts run out, the last failure result is returned (not thrown), marked with the attempts', async () => {
    const gaveUp: GiveUpEvent[] = [];
    const results: Response[] = [];
    const fn = async (_ctx?: CallContext) => {
      const r = new Response(null, { status: 429 });
      results.push(r);
      return r;
    };
    const out = await settle(
      retryable({ ...quiet, maxAttempts: 3, onGiveUp: (e) => gaveUp.push(e) })(fn)(),
    );
    expect(out.error).toBeUndefined();
    expect(out.value).toBe(results[2]);
    expect(results).toHaveLength(3);
    expect(attemptsOf(out.value)).toBe(3);
    expect(gaveUp.map((g) => [g.attempts, g.reason])).toEqual([[3, 'exhausted']]);
  });

  it("the last result's signal is not aborted (its body can still be read)", async () => {
    let last: CallContext | undefined;
    const fn = async (ctx?: CallContext) => {
      last = ctx;
      return new Response('busy', { status: 503 });
    };
    const out = await settle(retryable({ ...quiet, maxAttempts: 2 })(fn)());
    expect((out.value as Response).status).toBe(503);
    expect(last?.signal.aborted).toBe(false);
  });

  it('statuses outside the retryable set and non-Response values are successes by default', async () => {
    for (const value of [
      new Response(null, { status: 404 }),
      new Response(null, { status: 200 }),
      { status: 503 }, // no headers: not Response-like
      503,
      null,
    ]) {
      const fn = jest.fn(async (_ctx?: CallContext) => value);
      const out = await settle(retryable(quiet)(fn)());
      expect(out.value).toBe(value);
      expect(fn).toHaveBeenCalledTimes(1);
    }
  });

  it('a custom predicate decides; a throwing predicate or one answering non-true means success', async () => {
    const fn = jest.fn(async (_ctx?: CallContext) => ({ ok: false }));
    const marked = await settle(
      retryable({ ...quiet, maxAttempts: 2, isFailureResult: (r) => !(r as { ok: boolean }).ok })(
        fn,
      )(),
    );
    expect(marked.value).toEqual({ ok: false });
    expect(fn).toHaveBeenCalledTimes(2);
    for (const isFailureResult of [
      () => {
        throw new Error('bad predicate');
      },
      () => 1 as unknown as boolean,
    ]) {
      const g = jest.fn(async (_ctx?: CallContext) => 'v');
      const out = await settle(retryable({ ...quiet, isFailureResult })(g)());
      expect(out.value).toBe('v');
      expect(g).toHaveBeenCalledTimes(1);
    }
  });

  it('a failure result with a Retry-After longer than maxRetryAfterMs is returned at once', async () => {
    const fn = jest.fn(
      async (_ctx?: CallContext) =>
        new Response(null, { status: 503, headers: { 'retry-after': '3600' } }),
    );
    const gaveUp: GiveUpEvent[] = [];
    const out = await settle(
      retryable({ ...quiet, maxRetryAfterMs: 1000, onGiveUp: (e) => gaveUp.push(e) })(fn)(),
    );
    expect((out.value as Response).status).toBe(503);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(gaveUp.map((g) => g.reason)).toEqual(['retry-after-too-long']);
  });

  it('isFailureResult must be a function', () => {
    expect(() => retryable({ isFailureResult: 1 as never })).toThrow(TypeError);
  });
});

describe('retryable: deadline boundaries (a controlled clock)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const run = async (delayMs: number) => {
    const deadline = Date.now() + 1_000_000;
    const gaveUp: GiveUpEvent[] = [];
    let calls = 0;
    const fn = async (_c?: CallContext) => {
      calls++;
      throw httpError(503);
    };
    const out = await settle(
      retryable({
        logger: false,
        maxAttempts: 2,
        minDelayMs: delayMs,
        maxDelayMs: delayMs,
        jitter: 'none',
        clock: () => deadline - 1_000,
        onGiveUp: (e) => gaveUp.push(e),
      })(fn)(callContext({ deadline })),
    );
    return { out, calls, reasons: gaveUp.map((g) => g.reason) };
  };

  it('a wait ending exactly at the deadline is not started', async () => {
    const { calls, reasons } = await run(1_000);
    expect(calls).toBe(1);
    expect(reasons).toEqual(['deadline']);
  });

  it('a wait ending 1 ms before the deadline is made', async () => {
    const { calls, reasons } = await run(999);
    expect(calls).toBe(2);
    expect(reasons).toEqual(['exhausted']);
  });
});

describe('isFailureResponse', () => {
  it('is true only for an object with a retryable numeric status and a headers object', async () => {
    const { isFailureResponse, RETRYABLE_STATUS } = await import('../../src');
    for (const status of RETRYABLE_STATUS)
      expect(isFailureResponse({ status, headers: {} })).toBe(true);
    expect(isFailureResponse(new Response(null, { status: 503 }))).toBe(true);
    for (const value of [
      { status: 503 },
      { status: 503, headers: null },
      { status: 503, headers: 'x' },
      { status: '503', headers: {} },
      { status: 404, headers: {} },
      { status: 200, headers: {} },
      null,
      undefined,
      503,
      'Service Unavailable',
    ])
      expect(isFailureResponse(value)).toBe(false);
  });
});
