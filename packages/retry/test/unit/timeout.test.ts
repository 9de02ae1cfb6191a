// Issue #19: the timeout policy: the attempt's signal aborts at the limit and the call rejects with
// a typed error at once, even when the function ignores its signal.
import { type CallContext, callContext, hasErrorCode, withCallOptions } from '@resil/core';
import { isRetryable, TIMEOUT_ERROR_CODE, TimeoutError, timeout } from '../../src';

describe('timeout()', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('rejects with TimeoutError (RESIL_RETRY_TIMEOUT) at the limit even if the function ignores its signal, and aborts the signal', async () => {
    let ctx: CallContext | undefined;
    const fn = (c?: CallContext) => {
      ctx = c;
      return new Promise<never>(() => {});
    };
    const wrapped = timeout(100)(fn);
    const out = wrapped().catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(99);
    expect(ctx?.signal.aborted).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    const err = await out;
    expect(err).toBeInstanceOf(TimeoutError);
    expect(hasErrorCode(err, TIMEOUT_ERROR_CODE)).toBe(true);
    expect(TIMEOUT_ERROR_CODE).toBe('RESIL_RETRY_TIMEOUT');
    expect((err as TimeoutError).timeoutMs).toBe(100);
    expect((err as Error).message).not.toMatch(/undefined/);
    expect(ctx?.signal.aborted).toBe(true);
    expect(ctx?.signal.reason).toBe(err);
    expect(isRetryable(err)).toBe(true);
  });

  it('a call that settles in time keeps its value or error, and leaves no timer', async () => {
    const ok = timeout(1_000)(async (x: number, _c?: CallContext) => x * 2);
    await expect(ok(21)).resolves.toBe(42);
    const boom = new Error('boom');
    const bad = timeout(1_000)(async (_c?: CallContext) => {
      throw boom;
    });
    await expect(bad()).rejects.toBe(boom);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('a function that throws synchronously rejects the call', async () => {
    const boom = new Error('sync');
    const wrapped = timeout(1_000)(((_c?: CallContext) => {
      throw boom;
    }) as (c?: CallContext) => Promise<never>);
    await expect(wrapped()).rejects.toBe(boom);
    expect(jest.getTimerCount()).toBe(0);
  });

  it("the caller's abort rejects at once with the caller's reason and aborts the function's signal", async () => {
    let ctx: CallContext | undefined;
    const wrapped = timeout(10_000)((c?: CallContext) => {
      ctx = c;
      return new Promise<never>(() => {});
    });
    const ac = new AbortController();
    const out = withCallOptions(wrapped, { signal: ac.signal })().catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(1);
    const reason = new Error('gone');
    ac.abort(reason);
    expect(await out).toBe(reason);
    expect(ctx?.signal.aborted).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
  });

  it("an aborted caller's signal: the function is not called", async () => {
    const fn = jest.fn(async (_c?: CallContext) => 1);
    const reason = new Error('before');
    await expect(timeout(100)(fn)(callContext({ signal: AbortSignal.abort(reason) }))).rejects.toBe(
      reason,
    );
    expect(fn).not.toHaveBeenCalled();
  });

  it('passes the caller context on (attempt, deadline), as one context, last', async () => {
    let seen: unknown[] = [];
    const wrapped = timeout(100)(async (...args: unknown[]) => {
      seen = args;
      return 'ok';
    });
    const deadline = Date.now() + 5_000;
    await wrapped('a', callContext({ deadline }));
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBe('a');
    expect((seen[1] as CallContext).deadline).toBe(deadline);
    expect((seen[1] as CallContext).attempt).toBe(1);
  });

  it('onTimeout tells the name and the limit, on the policy and on each wrapped function', async () => {
    const policy = timeout(50, { name: 'upstream' });
    const wrapped = policy(() => new Promise<never>(() => {}));
    const notices: unknown[] = [];
    policy.onTimeout((n) => notices.push(n));
    const out = wrapped().catch(() => undefined);
    await jest.advanceTimersByTimeAsync(50);
    await out;
    expect(notices).toEqual([{ name: 'upstream', timeoutMs: 50 }]);
    expect(wrapped.onTimeout).toBe(policy.onTimeout);
    expect(wrapped.timeoutMs).toBe(50);
    expect(wrapped.name).toBe('upstream');
  });

  it('validates ms and options', () => {
    for (const ms of [0, -1, 1.5, Number.NaN, 2 ** 31])
      expect(() => timeout(ms)).toThrow(RangeError);
    expect(() => timeout('5' as never)).toThrow(TypeError);
    expect(() => timeout(5, { nope: 1 } as never)).toThrow(TypeError);
    expect(() => timeout(5)(1 as never)).toThrow(TypeError);
  });
});
