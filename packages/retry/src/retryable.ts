import { SafeLogger } from '@resil/safe-log';
import asyncRetry from 'async-retry';
import type { RetryBudget } from './budget';
import { describe, isRetryable, MAX_TIMER_MS, retryAfterMsOf } from './classify';
import { markAttempts } from './errors';

export type Jitter = 'full' | 'equal' | 'decorrelated' | 'none';

export interface RetryEvent {
  /** The attempt that failed (1 = the first call). */
  attempt: number;
  /** The wait before the next attempt. */
  delayMs: number;
  error: unknown;
}

export type GiveUpReason =
  | 'exhausted'
  | 'not-retryable'
  | 'retry-after-too-long'
  | 'elapsed'
  | 'budget'
  | 'aborted';

export interface GiveUpEvent {
  attempts: number;
  error: unknown;
  reason: GiveUpReason;
}

export interface RetryLogger {
  info(message: string, meta?: Record<string, unknown>): void;
}

export interface RetryOptions {
  /** Attempts in all, the first call included. @default 3 */
  maxAttempts?: number;
  /** Backoff base: the cap of the first wait. @default 2000 */
  minDelayMs?: number;
  /** Largest computed wait, at most MAX_TIMER_MS (a Retry-After may ask for more, up to maxRetryAfterMs). @default 10000 */
  maxDelayMs?: number;
  /** Growth of the cap per attempt. @default 2 */
  factor?: number;
  /** How the wait is drawn under the cap (AWS "exponential backoff and jitter"). @default 'full' */
  jitter?: Jitter;
  /** Longest Retry-After honoured, at most MAX_TIMER_MS; a longer one gives up at once with the error. @default 60000 */
  maxRetryAfterMs?: number;
  /** No attempt starts later than this after the first. @default Infinity */
  maxElapsedMs?: number;
  /** Which errors are retried (sync or async). @default isRetryable */
  retryOn?: (error: unknown) => boolean | Promise<boolean>;
  /** Cancels the pending wait at once and stops further attempts. @default none */
  signal?: AbortSignal;
  /** A budget shared by several functions; when empty, failures are not retried. @default none */
  budget?: RetryBudget;
  /** Name in log lines. @default the function's (or method's) name */
  name?: string;
  /** Where retries are logged (info), or false for no log. @default a SafeLogger('resil.retry') */
  logger?: RetryLogger | false;
  /** Before each wait (the seed's before_sleep); called after the wait is scheduled. */
  onRetry?: (event: RetryEvent) => void;
  onGiveUp?: (event: GiveUpEvent) => void;
  onSuccess?: (event: { attempts: number }) => void;
  /** Random source in [0, 1), for tests. @default Math.random */
  random?: () => number;
  /** Clock in ms, for tests. @default Date.now */
  clock?: () => number;
}

/** The resolved policy, exposed as `.retry` on every wrapped function. */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  readonly factor: number;
  readonly jitter: Jitter;
  readonly maxRetryAfterMs: number;
  readonly maxElapsedMs: number;
}

const DEFAULTS: RetryPolicy = Object.freeze({
  maxAttempts: 3,
  minDelayMs: 2000,
  maxDelayMs: 10000,
  factor: 2,
  jitter: 'full' as Jitter,
  maxRetryAfterMs: 60000,
  maxElapsedMs: Number.POSITIVE_INFINITY,
});

const KNOWN = new Set([
  ...Object.keys(DEFAULTS),
  'retryOn',
  'signal',
  'budget',
  'name',
  'logger',
  'onRetry',
  'onGiveUp',
  'onSuccess',
  'random',
  'clock',
]);

// biome-ignore lint/suspicious/noExplicitAny: a wrapper accepts any async function
type AnyAsyncFn = (this: any, ...args: any[]) => Promise<any>;

/** What `retryable()` returns: a wrapper for a function, and a TC39 method decorator. */
export type Retryable = <F extends AnyAsyncFn>(
  fn: F,
  context?: ClassMethodDecoratorContext,
) => F & { readonly retry: RetryPolicy };

function resolve(options: RetryOptions): RetryPolicy {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('retryable: options must be an object');
  for (const k of Object.keys(options)) {
    if (!KNOWN.has(k)) throw new TypeError(`retryable: unknown option "${k}"`);
  }
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const p = { ...DEFAULTS, ...defined } as RetryPolicy & RetryOptions;
  const int = (name: keyof RetryPolicy, min: number, max: number, infinite: boolean) => {
    const v = p[name] as number;
    // Number.isInteger is false for anything but a number: no typeof check needed.
    const ok =
      (Number.isInteger(v) && v >= min && v <= max) || (infinite && v === Number.POSITIVE_INFINITY);
    if (!ok) {
      const range = infinite ? `an integer >= ${min} or Infinity` : `an integer ${min}..${max}`;
      throw new RangeError(`retryable: ${name} must be ${range}`);
    }
  };
  int('maxAttempts', 1, Number.MAX_SAFE_INTEGER, true);
  // Waits must fit a timer: a longer setTimeout fires after 1 ms, which would remove the backoff.
  int('minDelayMs', 0, MAX_TIMER_MS, false);
  int('maxDelayMs', 0, MAX_TIMER_MS, false);
  int('maxRetryAfterMs', 0, MAX_TIMER_MS, false);
  int('maxElapsedMs', 0, Number.MAX_SAFE_INTEGER, true);
  if (p.maxDelayMs < p.minDelayMs)
    throw new RangeError('retryable: maxDelayMs must be >= minDelayMs');
  if (typeof p.factor !== 'number' || !(p.factor >= 1))
    throw new RangeError('retryable: factor must be a number >= 1');
  if (!['full', 'equal', 'decorrelated', 'none'].includes(p.jitter)) {
    throw new RangeError("retryable: jitter must be 'full', 'equal', 'decorrelated' or 'none'");
  }
  for (const fn of ['retryOn', 'onRetry', 'onGiveUp', 'onSuccess', 'random', 'clock'] as const) {
    if (options[fn] !== undefined && typeof options[fn] !== 'function')
      throw new TypeError(`retryable: ${fn} must be a function`);
  }
  return Object.freeze({
    maxAttempts: p.maxAttempts,
    minDelayMs: p.minDelayMs,
    maxDelayMs: p.maxDelayMs,
    factor: p.factor,
    jitter: p.jitter,
    maxRetryAfterMs: p.maxRetryAfterMs,
    maxElapsedMs: p.maxElapsedMs,
  });
}

/** The wait before retry number `retry` (1-based), without Retry-After. */
export function backoffMs(
  policy: RetryPolicy,
  retry: number,
  previousMs: number,
  random: () => number,
): number {
  const cap = Math.min(policy.maxDelayMs, policy.minDelayMs * policy.factor ** (retry - 1));
  switch (policy.jitter) {
    case 'none':
      return Math.round(cap);
    case 'equal':
      return Math.round(cap / 2 + random() * (cap / 2));
    case 'decorrelated': {
      // AWS: sleep = min(cap, random_between(base, previous * 3)).
      const upper = Math.max(policy.minDelayMs, previousMs * 3);
      return Math.round(
        Math.min(policy.maxDelayMs, policy.minDelayMs + random() * (upper - policy.minDelayMs)),
      );
    }
    default:
      return Math.round(random() * cap);
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return new Promise((resolvePromise) => setTimeout(resolvePromise, ms));
  return new Promise((resolvePromise, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolvePromise();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

let defaultLogger: SafeLogger | undefined;
function sharedLogger(): SafeLogger {
  defaultLogger ??= new SafeLogger('resil.retry');
  return defaultLogger;
}
/** Calls `listener` with `event`, if there is one; a throwing listener never changes the outcome of the call. */
function emit<E>(listener: ((event: E) => void) | undefined, event: E): void {
  // Stryker disable next-line ConditionalExpression: equivalent: without this check, calling undefined throws a TypeError that the catch below swallows; the check only saves that throw
  if (listener === undefined) return;
  try {
    listener(event);
  } catch {
    // a throwing listener never changes the outcome of the call
  }
}

/**
 * Retry with exponential backoff and jitter, as a wrapper or a method decorator:
 *
 *   const create = retryable({ maxAttempts: 3 })(async (input) => api.create(input));
 *   class Client { @retryable() async create(input) { ... } }
 *
 * async-retry runs the attempts; this package decides whether to retry, how long to wait
 * (jitter, Retry-After, budget, deadline) and waits in an abortable timer of its own, because
 * async-retry can neither honour Retry-After nor cancel a pending wait. The original error is
 * rethrown after the last attempt, with the attempt count under `attemptsOf(err)`.
 */
export function retryable(options: RetryOptions = {}): Retryable {
  const policy = resolve(options);
  const retryOn = options.retryOn ?? isRetryable;
  const random = options.random ?? Math.random;
  const clock = options.clock ?? Date.now;
  const { signal, budget, onRetry, onGiveUp, onSuccess } = options;
  const logger = options.logger === false ? undefined : options.logger || sharedLogger();

  return (<F extends AnyAsyncFn>(fn: F, context?: ClassMethodDecoratorContext) => {
    if (typeof fn !== 'function') throw new TypeError('retryable: expected a function to wrap');
    const name = options.name ?? (context ? String(context.name) : fn.name || 'call');
    const log =
      logger &&
      (({ attempt, delayMs, error }: RetryEvent) =>
        logger.info(
          `retrying ${name} in ${(delayMs / 1000).toFixed(1)} s after ${describe(error)} (attempt ${attempt} of ${policy.maxAttempts})`,
          { retry: name, attempt, maxAttempts: policy.maxAttempts, delayMs },
        ));
    const wrapped = function (this: unknown, ...args: unknown[]) {
      const started = clock();
      let previousMs = policy.minDelayMs;
      budget?.deposit();
      return asyncRetry(
        async (bail: (e: Error) => void, attempt: number) => {
          if (signal?.aborted) {
            bail(signal.reason);
            return undefined;
          }
          try {
            const value = await fn.apply(this, args);
            emit(onSuccess, { attempts: attempt });
            return value;
          } catch (error) {
            const giveUp = (reason: GiveUpReason) => {
              markAttempts(error, attempt);
              emit(onGiveUp, { attempts: attempt, error, reason });
              bail(error as Error);
              return undefined;
            };
            let retry = false;
            try {
              retry = attempt < policy.maxAttempts && (await retryOn(error)) === true;
            } catch {
              retry = false; // a throwing classifier means "do not retry"
            }
            if (!retry)
              return giveUp(attempt >= policy.maxAttempts ? 'exhausted' : 'not-retryable');
            const now = clock();
            const asked = retryAfterMsOf(error, now);
            if ((asked ?? 0) > policy.maxRetryAfterMs) return giveUp('retry-after-too-long');
            // A Retry-After can lengthen the wait, never shorten it below the computed backoff.
            const delayMs = Math.max(backoffMs(policy, attempt, previousMs, random), asked ?? 0);
            previousMs = Math.max(delayMs, 1);
            if (now + delayMs - started > policy.maxElapsedMs) return giveUp('elapsed');
            if (budget && !budget.tryWithdraw()) return giveUp('budget');
            const wait = sleep(delayMs, signal);
            // Emitted after the timer is scheduled, so a test can advance fake time from the hook.
            emit(onRetry, { attempt, delayMs, error });
            emit(log, { attempt, delayMs, error });
            try {
              await wait;
            } catch (reason) {
              markAttempts(error, attempt);
              emit(onGiveUp, { attempts: attempt, error, reason: 'aborted' });
              bail(reason as Error);
              return undefined;
            }
            throw error; // async-retry starts the next attempt
          }
        },
        // Attempts only: every wait is ours (above), so async-retry's own timer is zero.
        {
          retries: policy.maxAttempts - 1,
          minTimeout: 0,
          maxTimeout: 0,
          factor: 1,
          randomize: false,
        },
      );
    };
    Object.defineProperty(wrapped, 'name', { value: name, configurable: true });
    Object.defineProperty(wrapped, 'retry', { value: policy, enumerable: true });
    return wrapped as unknown as F & { readonly retry: RetryPolicy };
  }) as Retryable;
}
