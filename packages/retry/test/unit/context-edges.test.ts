// Issue #19 edges of the call context, the deadline and timeout() that the mutation run showed
// untested (packages/retry/stryker.config.mjs).
import { getEventListeners } from 'node:events';
import { metrics } from '@opentelemetry/api';
import { type CallContext, callContext, withCallOptions } from '@resil/core';
import {
  attemptsOf,
  type GiveUpEvent,
  type GiveUpNotice,
  retryable,
  TimeoutError,
  type TimeoutNotice,
  timeout,
} from '../../src';
import { installMutationBail } from '../mutation/bail';

// A mutant that leaves a promise unsettled makes a test hang. Under the mutation run (one Jest file,
// test/mutation/all-unit.ts, loading every unit file) this bounds every test to 5 s and skips the
// tests after the first failure (test/mutation/bail.ts), so such a mutant is killed in seconds
// instead of holding a test runner until Stryker's 30 s timeout (and its restart). The tests
// themselves take milliseconds. In an ordinary run the 5 s bound this file only.
jest.setTimeout(5_000);
installMutationBail();

const httpError = (status: number) => Object.assign(new Error(`HTTP ${status}`), { status });
const quiet = { logger: false as const, minDelayMs: 0, maxDelayMs: 0 };

/** A function that never settles and ignores its signal; `started` resolves with its context. */
function hanging() {
  let began: (c: CallContext) => void = () => {};
  const started = new Promise<CallContext>((resolve) => {
    began = resolve;
  });
  const fn = (c?: CallContext) => {
    began(c as CallContext);
    return new Promise<never>(() => {});
  };
  return { fn, started };
}

describe('retryable: the policy signal and the per-call signal together', () => {
  it.each(['policy', 'call'] as const)(
    'either one (here the %s signal) stops a running attempt at once, with its reason',
    async (which) => {
      const policyAc = new AbortController();
      const callAc = new AbortController();
      const { fn, started } = hanging();
      const wrapped = retryable({ ...quiet, signal: policyAc.signal })(fn);
      const call = withCallOptions(wrapped, { signal: callAc.signal })().catch((e: unknown) => e);
      const ctx = await started;
      expect(ctx.signal.aborted).toBe(false);
      const reason = new Error(`${which} gone`);
      (which === 'policy' ? policyAc : callAc).abort(reason);
      expect(await call).toBe(reason);
      expect(ctx.signal.aborted).toBe(true);
    },
  );
});

describe('retryable: a running attempt and the caller signal', () => {
  it('a function that aborts the call before returning: the call rejects at once with the reason', async () => {
    const ac = new AbortController();
    const reason = new Error('aborted while starting');
    const fn = (_c?: CallContext) => {
      ac.abort(reason);
      return new Promise<never>(() => {}); // ignores its signal, never settles
    };
    const gaveUp: GiveUpEvent[] = [];
    const wrapped = retryable({ ...quiet, onGiveUp: (e) => gaveUp.push(e) })(fn);
    expect(await withCallOptions(wrapped, { signal: ac.signal })().catch((e: unknown) => e)).toBe(
      reason,
    );
    expect(gaveUp).toEqual([{ attempts: 1, error: reason, reason: 'aborted' }]);
  });

  it("leaves no abort listener on the caller's signal, whether the call succeeds, fails or is aborted", async () => {
    const ok = new AbortController();
    await expect(
      withCallOptions(
        retryable(quiet)(async (_c?: CallContext) => 'v'),
        { signal: ok.signal },
      )(),
    ).resolves.toBe('v');
    expect(getEventListeners(ok.signal, 'abort')).toHaveLength(0);

    const failing = new AbortController();
    const bad = retryable(quiet)(async (_c?: CallContext) => {
      throw httpError(400);
    });
    await expect(withCallOptions(bad, { signal: failing.signal })()).rejects.toMatchObject({
      status: 400,
    });
    expect(getEventListeners(failing.signal, 'abort')).toHaveLength(0);

    const ac = new AbortController();
    const { fn, started } = hanging();
    const call = withCallOptions(retryable(quiet)(fn), { signal: ac.signal })().catch(
      (e: unknown) => e,
    );
    await started;
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
    ac.abort(new Error('stop'));
    await call;
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });

  it('an abort during an attempt is given up as aborted even when its reason is retryable: no classifier, no retry', async () => {
    const ac = new AbortController();
    const retryOn = jest.fn(() => true);
    const onRetry = jest.fn();
    const gaveUp: GiveUpEvent[] = [];
    const { fn, started } = hanging();
    const wrapped = retryable({
      ...quiet,
      maxAttempts: 5,
      retryOn,
      onRetry,
      onGiveUp: (e) => gaveUp.push(e),
    })(fn);
    const call = withCallOptions(wrapped, { signal: ac.signal })().catch((e: unknown) => e);
    await started;
    const reason = httpError(503);
    ac.abort(reason);
    expect(await call).toBe(reason);
    expect(attemptsOf(reason)).toBe(1);
    expect(gaveUp).toEqual([{ attempts: 1, error: reason, reason: 'aborted' }]);
    expect(retryOn).not.toHaveBeenCalled();
    expect(onRetry).not.toHaveBeenCalled();
  });

  it("a failed attempt's signal is aborted with an AbortError saying the attempt is over", async () => {
    const contexts: CallContext[] = [];
    const fn = async (c?: CallContext) => {
      contexts.push(c as CallContext);
      if (contexts.length === 1) throw httpError(503);
      return 'ok';
    };
    await expect(retryable({ ...quiet, maxAttempts: 2 })(fn)()).resolves.toBe('ok');
    const reason = (contexts[0] as CallContext).signal.reason as DOMException;
    expect(reason).toBeInstanceOf(DOMException);
    expect(reason.name).toBe('AbortError');
    expect(reason.message).toMatch(/attempt is over/);
  });
});

describe('retryable: no attempt starts once the call is over', () => {
  it('an aborted caller signal: given up as aborted after 0 attempts', async () => {
    const reason = new Error('gone');
    const gaveUp: GiveUpEvent[] = [];
    const notices: GiveUpNotice[] = [];
    const policy = retryable({ ...quiet, onGiveUp: (e) => gaveUp.push(e) });
    policy.onGiveUp((n) => notices.push(n));
    let calls = 0;
    const lookup = async function lookup(_c?: CallContext) {
      calls++;
      return 'ok';
    };
    const err = await withCallOptions(policy(lookup), {
      signal: AbortSignal.abort(reason),
    })().catch((e: unknown) => e);
    expect(err).toBe(reason);
    expect(calls).toBe(0);
    expect(gaveUp).toEqual([{ attempts: 0, error: reason, reason: 'aborted' }]);
    expect(notices).toEqual([{ name: 'lookup', attempts: 0, reason: 'aborted', code: 'Error' }]);
    expect(attemptsOf(err)).toBe(0);
  });

  it('a passed deadline: a TimeoutError naming the deadline, given up as deadline after 0 attempts', async () => {
    const gaveUp: GiveUpEvent[] = [];
    const fn = jest.fn(async (_c?: CallContext) => 'ok');
    const wrapped = retryable({ ...quiet, onGiveUp: (e) => gaveUp.push(e) })(fn);
    const err = await wrapped(callContext({ deadline: Date.now() - 1 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DOMException);
    expect((err as DOMException).name).toBe('TimeoutError');
    expect((err as DOMException).message).toMatch(/deadline passed/);
    expect(fn).not.toHaveBeenCalled();
    expect(gaveUp).toEqual([{ attempts: 0, error: err, reason: 'deadline' }]);
    expect(attemptsOf(err)).toBe(0);
  });

  it.each([
    [0, false],
    [-1, true],
  ])(
    'the clock %i ms from the deadline: an attempt starts = %s (none at the deadline itself)',
    async (offset, runs) => {
      const deadline = Date.now() + 600_000;
      const fn = jest.fn(async (_c?: CallContext) => 'ok');
      const wrapped = retryable({ ...quiet, clock: () => deadline + offset })(fn);
      const out = await wrapped(callContext({ deadline })).catch((e: unknown) => e);
      expect(fn).toHaveBeenCalledTimes(runs ? 1 : 0);
      if (runs) expect(out).toBe('ok');
      else expect((out as Error).name).toBe('TimeoutError');
    },
  );

  it.each([
    [0, 'deadline'],
    [-1, 'aborted'],
  ])(
    'an abort during an attempt with the clock %i ms from the deadline is given up as %s',
    async (offset, expected) => {
      const deadline = Date.now() + 600_000;
      let now = deadline - 10_000;
      const ac = new AbortController();
      const gaveUp: GiveUpEvent[] = [];
      const { fn, started } = hanging();
      const wrapped = retryable({ ...quiet, clock: () => now, onGiveUp: (e) => gaveUp.push(e) })(
        fn,
      );
      const call = wrapped(callContext({ signal: ac.signal, deadline })).catch((e: unknown) => e);
      await started;
      now = deadline + offset;
      ac.abort(new Error('stop'));
      await call;
      expect(gaveUp.map((g) => g.reason)).toEqual([expected]);
    },
  );
});

type Recorded = { instrument: string; value: number; attributes: Record<string, unknown> };

/** A MeterProvider that records what the instruments get (registered through the real API). */
function recordingProvider() {
  const recorded: Recorded[] = [];
  const scopes: string[] = [];
  const provider = {
    getMeter(scope: string) {
      scopes.push(scope);
      const make = (instrument: string) => {
        const rec = (value: number, attributes: Record<string, unknown>) =>
          recorded.push({ instrument, value, attributes });
        return { add: rec, record: rec };
      };
      return { createCounter: make, createHistogram: make };
    },
  };
  return { provider, recorded, scopes };
}

describe('telemetry of a stopped call', () => {
  afterEach(() => metrics.disable());

  it('retryable: an attempt the caller aborted is recorded as not handled, with its error type', async () => {
    const { provider, recorded } = recordingProvider();
    metrics.setGlobalMeterProvider(provider as never);
    let now = 1_000;
    const ac = new AbortController();
    const { fn, started } = hanging();
    const wrapped = retryable({ ...quiet, name: 'records', clock: () => now })(fn);
    const call = withCallOptions(wrapped, { signal: ac.signal })().catch((e: unknown) => e);
    await started;
    now += 5;
    ac.abort(httpError(503));
    await call;
    const base = { 'strategy.name': 'retry', 'pipeline.name': 'records' };
    expect(recorded).toEqual([
      {
        instrument: 'resilience.strategy.attempt.duration',
        value: 5,
        attributes: { ...base, 'attempt.number': 1, 'attempt.handled': false, 'error.type': '503' },
      },
      {
        instrument: 'resilience.strategy.events',
        value: 1,
        attributes: {
          ...base,
          reason: 'aborted',
          'event.name': 'give-up',
          'event.severity': 'warning',
        },
      },
      {
        instrument: 'resilience.pipeline.duration',
        value: 5,
        attributes: { ...base, 'error.type': '503' },
      },
    ]);
  });

  it('timeout: a timed-out call counts one timeout event (strategy timeout, its name, scope @resil/retry)', async () => {
    jest.useFakeTimers();
    try {
      const { provider, recorded, scopes } = recordingProvider();
      metrics.setGlobalMeterProvider(provider as never);
      const wrapped = timeout(10)(async function slowQuery(_c?: CallContext) {
        return new Promise<never>(() => {});
      });
      const out = wrapped().catch((e: unknown) => e);
      await jest.advanceTimersByTimeAsync(10);
      expect(await out).toBeInstanceOf(TimeoutError);
      expect(scopes).toEqual(['@resil/retry']);
      expect(recorded).toEqual([
        {
          instrument: 'resilience.strategy.events',
          value: 1,
          attributes: {
            'strategy.name': 'timeout',
            'pipeline.name': 'slowQuery',
            'event.name': 'timeout',
            'event.severity': 'warning',
          },
        },
      ]);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('timeout(): names, messages and listeners', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it("the error message gives the limit; the name is the function's, 'call' for an anonymous one", async () => {
    const notices: TimeoutNotice[] = [];
    const policy = timeout(100);
    policy.onTimeout((n) => notices.push(n));
    const named = policy(async function fetchRecord(_c?: CallContext) {
      return new Promise<never>(() => {});
    });
    const anonymous = policy((_c?: CallContext) => new Promise<never>(() => {}));
    expect(named.name).toBe('fetchRecord');
    expect(anonymous.name).toBe('call');
    const out = Promise.all([named(), anonymous()].map((p) => p.catch((e: unknown) => e)));
    await jest.advanceTimersByTimeAsync(100);
    const [err] = await out;
    expect((err as Error).message).toBe('the call did not settle within 100 ms');
    expect(notices).toEqual([
      { name: 'fetchRecord', timeoutMs: 100 },
      { name: 'call', timeoutMs: 100 },
    ]);
    // the name can be redefined; the limit is listed and fixed
    expect(Object.getOwnPropertyDescriptor(named, 'name')).toMatchObject({ configurable: true });
    expect(Object.getOwnPropertyDescriptor(named, 'timeoutMs')).toEqual({
      value: 100,
      enumerable: true,
      writable: false,
      configurable: false,
    });
  });

  it('bad options: errors naming the policy and the option', () => {
    expect(() => timeout(0)).toThrow(/^timeout: ms\b/);
    expect(() => timeout(5, { name: 5 as never })).toThrow(TypeError);
    expect(() => timeout(5, { name: 5 as never })).toThrow(/^timeout: name\b/);
    expect(() => timeout(5, { nope: 1 } as never)).toThrow(/nope/);
    expect(() => timeout(5)(1 as never)).toThrow('timeout: expected a function to wrap');
  });

  it("leaves no abort listener on the caller's signal: settled in time, failed, timed out or aborted", async () => {
    const signals: AbortSignal[] = [];
    const call = (fn: (c?: CallContext) => Promise<unknown>) => {
      const ac = new AbortController();
      signals.push(ac.signal);
      return {
        ac,
        out: withCallOptions(timeout(50)(fn), { signal: ac.signal })().catch((e: unknown) => e),
      };
    };
    const ok = call(async () => 1);
    const bad = call(async () => {
      throw new Error('bad');
    });
    const slow = call(() => new Promise<never>(() => {}));
    const stopped = call(() => new Promise<never>(() => {}));
    expect(await ok.out).toBe(1);
    expect(((await bad.out) as Error).message).toBe('bad');
    expect(getEventListeners(slow.ac.signal, 'abort')).toHaveLength(1);
    stopped.ac.abort(new Error('gone'));
    expect(((await stopped.out) as Error).message).toBe('gone');
    await jest.advanceTimersByTimeAsync(50);
    expect(await slow.out).toBeInstanceOf(TimeoutError);
    for (const signal of signals) expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('retryable: an abort before the wait starts', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('a classifier that aborts the call: no wait starts, the call rejects with the reason at once', async () => {
    const ac = new AbortController();
    const reason = new Error('caller left');
    const failure = httpError(503);
    const gaveUp: GiveUpEvent[] = [];
    let calls = 0;
    const wrapped = retryable({
      logger: false,
      minDelayMs: 60_000,
      maxDelayMs: 60_000,
      jitter: 'none',
      retryOn: () => {
        ac.abort(reason);
        return true;
      },
      onGiveUp: (e) => gaveUp.push(e),
    })(async (_c?: CallContext) => {
      calls++;
      throw failure;
    });
    let out: unknown;
    withCallOptions(wrapped, { signal: ac.signal })().catch((e: unknown) => {
      out = e;
    });
    // no fake time passes: the 60 s wait must not be needed for the call to settle
    for (let i = 0; i < 20 && out === undefined; i++) await jest.advanceTimersByTimeAsync(0);
    expect(out).toBe(reason);
    expect(calls).toBe(1);
    expect(gaveUp).toEqual([{ attempts: 1, error: failure, reason: 'aborted' }]);
    expect(jest.getTimerCount()).toBe(0);
  });
});
