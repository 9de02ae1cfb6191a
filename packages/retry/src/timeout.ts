import {
  checkOptions,
  createTelemetry,
  deriveContext,
  type Event,
  EventEmitter,
  integerOption,
  ResilError,
  splitContext,
  stringOption,
} from '@resil/core';
import { MAX_TIMER_MS } from './classify';

/** Code of the error a `timeout()` policy rejects with. Stable. */
export const TIMEOUT_ERROR_CODE = 'RESIL_RETRY_TIMEOUT' as const;

/**
 * The attempt took longer than the policy's time limit. Its `name` is `TimeoutError`, so
 * `isRetryable` retries it (a retry policy around a timeout retries the attempt) and a breaker
 * around it counts it as a failure.
 */
export class TimeoutError extends ResilError<typeof TIMEOUT_ERROR_CODE> {
  /** The time limit that passed, in ms. */
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super(TIMEOUT_ERROR_CODE, `the call did not settle within ${timeoutMs} ms`);
    this.name = 'TimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

export interface TimeoutOptions {
  /** Name in events and telemetry. @default the function's name */
  name?: string;
}

/** Payload of `onTimeout(listener)`: the name and the limit only. */
export interface TimeoutNotice {
  name: string;
  timeoutMs: number;
}

/** The events of a `timeout()` policy, shared by every function it wraps. */
export interface TimeoutEvents {
  /** An attempt ran out of time (its signal was aborted, the call rejected). Telemetry `timeout`. */
  readonly onTimeout: Event<TimeoutNotice>;
}

// biome-ignore lint/suspicious/noExplicitAny: a wrapper accepts any async function
type AnyAsyncFn = (this: any, ...args: any[]) => Promise<any>;

/** A function wrapped by `timeout()`: the function, its limit as `.timeoutMs`, and the events. */
export type TimedOut<F> = F & TimeoutEvents & { readonly timeoutMs: number };

/** What `timeout()` returns: a wrapper for a function (like `retryable()`), and the events. */
export type Timeout = (<F extends AnyAsyncFn>(fn: F) => TimedOut<F>) & TimeoutEvents;

const OWNER = 'timeout';

/**
 * A time limit per call of the wrapped function:
 *
 *   const get = timeout(2_000)(async (url: string, { signal }: CallContext) => fetch(url, { signal }));
 *
 * The function receives a call context (core's `{ signal, attempt, deadline }`) last; its signal
 * fires when `ms` pass, when the caller's (or an outer policy's) signal fires, or at the call's
 * deadline. At `ms` the call rejects with `TimeoutError` (code `RESIL_RETRY_TIMEOUT`) at once,
 * even if the function ignores its signal (its late outcome is then dropped); on the caller's
 * abort it rejects with the caller's reason. Inside `compose(retryable(), circuitBreaker(),
 * timeout(ms))`, the limit applies to each attempt.
 */
export function timeout(ms: number, options: TimeoutOptions = {}): Timeout {
  const timeoutMs = integerOption(OWNER, 'ms', ms, { min: 1, max: MAX_TIMER_MS });
  const o = checkOptions(OWNER, options, new Set(['name']));
  const fixedName = stringOption(OWNER, 'name', o.name, { default: '' });
  const timedOut = new EventEmitter<TimeoutNotice>();
  const events: TimeoutEvents = { onTimeout: timedOut.event };

  function wrap<F extends AnyAsyncFn>(fn: F): TimedOut<F> {
    if (typeof fn !== 'function') throw new TypeError('timeout: expected a function to wrap');
    const name = fixedName || fn.name || 'call';
    const telemetry = createTelemetry({
      strategy: 'timeout',
      pipeline: name,
      scope: '@resil/retry',
    });
    const wrapped = function (this: unknown, ...incoming: unknown[]) {
      const { args, context } = splitContext(incoming);
      const outer = context?.signal;
      const controller = new AbortController();
      const signal = outer ? AbortSignal.any([outer, controller.signal]) : controller.signal;
      const ctx = deriveContext(context, { signal });
      return new Promise((resolvePromise, reject) => {
        let timer: NodeJS.Timeout | undefined;
        const settle = () => {
          clearTimeout(timer);
          outer?.removeEventListener('abort', onAbort);
        };
        const onAbort = () => {
          settle();
          reject(outer?.reason);
        };
        if (outer?.aborted) return onAbort();
        outer?.addEventListener('abort', onAbort, { once: true });
        timer = setTimeout(() => {
          settle();
          const error = new TimeoutError(timeoutMs);
          controller.abort(error);
          if (timedOut.size > 0) timedOut.emit({ name, timeoutMs });
          telemetry.event('timeout', { severity: 'warning' });
          reject(error);
        }, timeoutMs);
        let pending: Promise<unknown>;
        try {
          pending = Promise.resolve(fn.apply(this, [...args, ctx]));
        } catch (error) {
          pending = Promise.reject(error);
        }
        pending.then(
          (value) => {
            settle();
            resolvePromise(value);
          },
          (error: unknown) => {
            settle();
            reject(error);
          },
        );
      });
    };
    Object.defineProperty(wrapped, 'name', { value: name, configurable: true });
    Object.defineProperty(wrapped, 'timeoutMs', { value: timeoutMs, enumerable: true });
    return Object.assign(wrapped, events) as unknown as TimedOut<F>;
  }
  return Object.assign(wrap, events);
}
