import { AsyncLocalStorage } from 'node:async_hooks';
import {
  type Context,
  type ContextManager,
  context,
  metrics,
  ROOT_CONTEXT,
  type Span,
  trace,
} from '@opentelemetry/api';
import {
  type BudgetExhaustedNotice,
  type GiveUpNotice,
  isRetryable,
  RetryBudget,
  type RetryNotice,
  retryable,
} from '../../src';
import { settle } from '../settle';

const httpError = (status: number) =>
  Object.assign(new Error(`patient 123-45-6789: HTTP ${status}`), { status });

const fast = { logger: false as const, minDelayMs: 100, maxDelayMs: 100, jitter: 'none' as const };

describe('retryable events', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('onRetry and onGiveUp: names, counts and codes only, on the policy and on each function', async () => {
    const policy = retryable({ ...fast, maxAttempts: 3 });
    const f = policy(async function load() {
      throw httpError(503);
    });
    const retries: RetryNotice[] = [];
    const gaveUp: GiveUpNotice[] = [];
    policy.onRetry((e) => retries.push(e));
    f.onGiveUp((e) => gaveUp.push(e));
    expect(f.onRetry).toBe(policy.onRetry);
    await settle(f());
    expect(retries).toEqual([
      { name: 'load', attempt: 1, delayMs: 100, code: '503' },
      { name: 'load', attempt: 2, delayMs: 100, code: '503' },
    ]);
    expect(gaveUp).toEqual([{ name: 'load', attempts: 3, reason: 'exhausted', code: '503' }]);
    expect(JSON.stringify([retries, gaveUp])).not.toContain('123-45-6789');
  });

  it('a not-retried failure gives up at once with its reason and code', async () => {
    const policy = retryable({ ...fast, name: 'create' });
    const gaveUp: GiveUpNotice[] = [];
    policy.onGiveUp((e) => gaveUp.push(e));
    await settle(
      policy(async () => {
        throw Object.assign(new Error('x'), { code: 'ENOTFOUND' });
      })(),
    );
    await settle(
      policy(async () => {
        throw 'a string';
      })(),
    );
    expect(gaveUp).toEqual([
      { name: 'create', attempts: 1, reason: 'not-retryable', code: 'ENOTFOUND' },
      { name: 'create', attempts: 1, reason: 'not-retryable', code: undefined },
    ]);
  });

  it('onRetry comes after the wait is scheduled: the listener can advance fake time', async () => {
    const policy = retryable({ ...fast, maxAttempts: 2 });
    let n = 0;
    const f = policy(async () => {
      if (++n < 2) throw httpError(503);
      return 'ok';
    });
    let timers = -1;
    policy.onRetry(() => {
      timers = jest.getTimerCount();
    });
    expect((await settle(f())).value).toBe('ok');
    expect(timers).toBe(1);
  });

  it('onBudgetExhausted on each refusal, with the give-up reason budget', async () => {
    const budget = new RetryBudget({ ratio: 0, minRetriesPerSecond: 0, maxTokens: 1 });
    const policy = retryable({ ...fast, budget, name: 'activate' });
    const spent: BudgetExhaustedNotice[] = [];
    const reasons: string[] = [];
    const sub = policy.onBudgetExhausted((e) => spent.push(e));
    policy.onGiveUp((e) => reasons.push(e.reason));
    const f = policy(async () => {
      throw httpError(503);
    });
    await settle(f());
    await settle(f());
    expect(spent).toEqual([{ name: 'activate' }, { name: 'activate' }]);
    expect(reasons).toEqual(['budget', 'budget']);
    sub.dispose();
    await settle(f());
    expect(spent).toHaveLength(2);
    expect(budget.exhausted).toBe(true);
  });

  it('a disposed listener hears nothing; a throwing listener never changes the outcome', async () => {
    const policy = retryable({ ...fast, maxAttempts: 2 });
    const heard: number[] = [];
    const sub = policy.onRetry((e) => heard.push(e.attempt));
    policy.onRetry(() => {
      throw new Error('listener');
    });
    policy.onGiveUp(() => {
      throw new Error('listener');
    });
    const err = httpError(503);
    const f = policy(async () => {
      throw err;
    });
    expect((await settle(f())).error).toBe(err);
    sub.dispose();
    await settle(f());
    expect(heard).toEqual([1]);
  });

  it('under a decorator, the method carries the events of its policy', async () => {
    const policy = retryable({ ...fast, maxAttempts: 2 });
    class Api {
      @policy
      async admit(): Promise<void> {
        throw httpError(502);
      }
    }
    const api = new Api();
    const names: string[] = [];
    (api.admit as unknown as typeof policy).onRetry((e) => names.push(e.name));
    await settle(api.admit());
    expect(names).toEqual(['admit']);
  });

  it('an abort during the wait gives up with reason aborted', async () => {
    const ac = new AbortController();
    const policy = retryable({ ...fast, signal: ac.signal });
    const gaveUp: GiveUpNotice[] = [];
    policy.onGiveUp((e) => gaveUp.push(e));
    policy.onRetry(() => ac.abort(new Error('stop')));
    await settle(
      policy(async function call() {
        throw httpError(429);
      })(),
    );
    expect(gaveUp).toEqual([{ name: 'call', attempts: 1, reason: 'aborted', code: '429' }]);
  });
});

describe('circuit open (RESIL_BREAKER_OPEN)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('a plain error carrying the code is never retried, even with a retryable status', async () => {
    const open = Object.assign(new Error('open'), { code: 'RESIL_BREAKER_OPEN', status: 503 });
    expect(isRetryable(open)).toBe(false);
    const fn = jest.fn(async () => {
      throw open;
    });
    const gaveUp: GiveUpNotice[] = [];
    const policy = retryable(fast);
    policy.onGiveUp((e) => gaveUp.push(e));
    expect((await settle(policy(fn)())).error).toBe(open);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(gaveUp.map((e) => e.reason)).toEqual(['not-retryable']);
  });
});

type Attrs = Record<string, unknown>;
type Recorded = { instrument: string; value: number; attributes: Attrs };

/** A MeterProvider that records what the instruments get (registered through the real API). */
function recordingProvider() {
  const recorded: Recorded[] = [];
  const scopes: string[] = [];
  const provider = {
    getMeter(scope: string) {
      scopes.push(scope);
      const make = (instrument: string) => {
        const rec = (value: number, attributes: Attrs) =>
          recorded.push({ instrument, value, attributes });
        return { add: rec, record: rec };
      };
      return { createCounter: make, createHistogram: make };
    },
  };
  return { provider, recorded, scopes };
}

/** The smallest ContextManager: AsyncLocalStorage, as @opentelemetry/context-async-hooks does it. */
class AlsContextManager implements ContextManager {
  readonly #als = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.#als.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.#als.run(ctx, () => fn.apply(thisArg, args));
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.#als.disable();
    return this;
  }
}

/** A span that records its attributes and events (only what retry touches is real). */
function recordingSpan() {
  const attributes: Attrs = {};
  const events: string[] = [];
  const span = {
    setAttribute(k: string, v: unknown) {
      attributes[k] = v;
      return span;
    },
    addEvent(name: string) {
      events.push(name);
      return span;
    },
    spanContext: () => ({
      traceId: `${'0'.repeat(31)}1`,
      spanId: `${'0'.repeat(15)}1`,
      traceFlags: 1,
    }),
    isRecording: () => true,
  };
  return { span: span as unknown as Span, attributes, events };
}

describe('retryable telemetry (OpenTelemetry API, recording provider)', () => {
  let now = 0;
  beforeEach(() => {
    jest.useFakeTimers();
    now = 1_000_000; // not 0: a duration computed as clock() + start would show
    context.setGlobalContextManager(new AlsContextManager());
  });
  afterEach(() => {
    jest.useRealTimers();
    metrics.disable();
    context.disable();
  });

  it('counts retry and give-up events, records attempts and the execution, sets resend_count', async () => {
    const { provider, recorded, scopes } = recordingProvider();
    metrics.setGlobalMeterProvider(provider as never);
    const { span, attributes, events } = recordingSpan();
    const resendSeen: unknown[] = [];
    const f = retryable({
      ...fast,
      name: 'hospital-api.create',
      clock: () => now,
    })(async () => {
      resendSeen.push(attributes['http.request.resend_count']);
      now += 7; // each attempt takes 7 ms
      throw httpError(503);
    });
    const out = await context.with(trace.setSpan(context.active(), span), () => settle(f()));
    expect((out.error as { status: number }).status).toBe(503);
    expect(scopes[0]).toBe('@resil/retry');
    const base = { 'strategy.name': 'retry', 'pipeline.name': 'hospital-api.create' };
    const of = (instrument: string) =>
      recorded
        .filter((r) => r.instrument === instrument)
        .map(({ value, attributes }) => ({ value, attributes }));
    expect(of('resilience.strategy.events')).toEqual([
      ...[1, 2].map((n) => ({
        value: 1,
        attributes: {
          ...base,
          'attempt.number': n,
          'event.name': 'retry',
          'event.severity': 'warning',
        },
      })),
      {
        value: 1,
        attributes: {
          ...base,
          reason: 'exhausted',
          'event.name': 'give-up',
          'event.severity': 'warning',
        },
      },
    ]);
    expect(of('resilience.strategy.attempt.duration')).toEqual(
      [1, 2, 3].map((n) => ({
        value: 7,
        attributes: { ...base, 'attempt.number': n, 'attempt.handled': true, 'error.type': '503' },
      })),
    );
    // three attempts of 7 ms (the waits are fake time, not the injected clock)
    expect(of('resilience.pipeline.duration')).toEqual([
      { value: 21, attributes: { ...base, 'error.type': '503' } },
    ]);
    // the first attempt is no resend; the retries are the first and second resends
    expect(resendSeen).toEqual([undefined, 1, 2]);
    expect(attributes['http.request.resend_count']).toBe(2);
    expect(events).toEqual(['retry', 'retry', 'give-up']);
  });

  it('a success: an unhandled attempt and an execution without error.type; a refused retry counts budget-exhausted', async () => {
    const { provider, recorded } = recordingProvider();
    metrics.setGlobalMeterProvider(provider as never);
    let n = 0;
    const f = retryable({ ...fast, name: 'ok', clock: () => now })(async () => {
      now += 3;
      if (++n < 2) throw httpError(404);
      return 1;
    });
    await settle(f()); // 404: not handled, given up
    await settle(f()); // success
    const budget = new RetryBudget({ ratio: 0, minRetriesPerSecond: 0, maxTokens: 1 });
    await settle(
      retryable({ ...fast, name: 'spent', budget })(async () => {
        throw httpError(503);
      })(),
    );
    const rows = recorded.map((r) => [r.instrument, r.value, r.attributes]);
    expect(rows).toEqual([
      [
        'resilience.strategy.attempt.duration',
        3,
        expect.objectContaining({
          'attempt.number': 1,
          'attempt.handled': false,
          'error.type': '404',
        }),
      ],
      [
        'resilience.strategy.events',
        1,
        expect.objectContaining({ 'event.name': 'give-up', reason: 'not-retryable' }),
      ],
      ['resilience.pipeline.duration', 3, expect.objectContaining({ 'error.type': '404' })],
      [
        'resilience.strategy.attempt.duration',
        3,
        {
          'strategy.name': 'retry',
          'pipeline.name': 'ok',
          'attempt.number': 1,
          'attempt.handled': false,
        },
      ],
      ['resilience.pipeline.duration', 3, { 'strategy.name': 'retry', 'pipeline.name': 'ok' }],
      [
        'resilience.strategy.attempt.duration',
        expect.any(Number),
        expect.objectContaining({ 'attempt.handled': true }),
      ],
      [
        'resilience.strategy.events',
        1,
        {
          'strategy.name': 'retry',
          'pipeline.name': 'spent',
          'event.name': 'budget-exhausted',
          'event.severity': 'warning',
        },
      ],
      [
        'resilience.strategy.events',
        1,
        expect.objectContaining({ 'event.name': 'give-up', reason: 'budget' }),
      ],
      [
        'resilience.pipeline.duration',
        expect.any(Number),
        expect.objectContaining({ 'error.type': '503' }),
      ],
    ]);
  });

  it('a throwing classifier: the attempt is recorded as not handled (false, not missing)', async () => {
    const { provider, recorded } = recordingProvider();
    metrics.setGlobalMeterProvider(provider as never);
    await settle(
      retryable({
        ...fast,
        name: 'c',
        clock: () => now,
        retryOn: () => {
          throw new Error('classifier');
        },
      })(async () => {
        throw httpError(503);
      })(),
    );
    expect(recorded[0]).toEqual({
      instrument: 'resilience.strategy.attempt.duration',
      value: 0,
      attributes: {
        'strategy.name': 'retry',
        'pipeline.name': 'c',
        'attempt.number': 1,
        'attempt.handled': false,
        'error.type': '503',
      },
    });
  });

  it('no resend_count on a call that is not retried', async () => {
    const { span, attributes } = recordingSpan();
    await context.with(trace.setSpan(context.active(), span), () =>
      settle(retryable(fast)(async () => 1)()),
    );
    expect(attributes).toEqual({});
  });
});
