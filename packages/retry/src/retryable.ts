import {
  checkOptions,
  createTelemetry,
  deriveContext,
  type Event,
  EventEmitter,
  enumOption,
  functionOption,
  integerOption,
  type Logger,
  numberOption,
  resolveLogger,
  splitContext,
  TELEMETRY_NAMES,
  untilAborted,
} from '@resil/core';
import asyncRetry from 'async-retry';
import type { RetryBudget } from './budget';
import {
  describe,
  errorTypeOf,
  isFailureResponse,
  isRetryable,
  MAX_TIMER_MS,
  retryAfterMsOf,
} from './classify';
import { markAttempts } from './errors';

export type Jitter = 'full' | 'equal' | 'decorrelated' | 'none';
const JITTERS = ['full', 'equal', 'decorrelated', 'none'] as const;

/** What the `onRetry` option receives (a hook of your own: it gets the error itself). */
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
  | 'aborted'
  | 'deadline';

/** What the `onGiveUp` option receives. */
export interface GiveUpEvent {
  attempts: number;
  error: unknown;
  reason: GiveUpReason;
}

/** Payload of `onRetry(listener)`: names, counts and a code only, never the error. */
export interface RetryNotice {
  /** The wrapped function's name (the `name` option, the method's or the function's). */
  name: string;
  /** The attempt that failed (1 = the first call). */
  attempt: number;
  /** The wait before the next attempt. */
  delayMs: number;
  /** The failure's type: HTTP status (`"503"`), error code (`ECONNRESET`) or class name. */
  code?: string;
}

/** Payload of `onGiveUp(listener)`. */
export interface GiveUpNotice {
  name: string;
  /** Attempts made. */
  attempts: number;
  reason: GiveUpReason;
  /** The last failure's type (as in RetryNotice). */
  code?: string;
}

/** Payload of `onBudgetExhausted(listener)`: a retry was refused by an empty `RetryBudget`. */
export interface BudgetExhaustedNotice {
  name: string;
}

/** The events of a `retryable()` policy, shared by every function it wraps. */
export interface RetryEvents {
  /** A retry was scheduled (after its timer started). Telemetry event `retry`. */
  readonly onRetry: Event<RetryNotice>;
  /** A call ended with its last error (any reason but success). Telemetry event `give-up`. */
  readonly onGiveUp: Event<GiveUpNotice>;
  /** A retry was refused because the budget is spent. Telemetry event `budget-exhausted`. */
  readonly onBudgetExhausted: Event<BudgetExhaustedNotice>;
}

/** @deprecated the logger option takes a core `Logger` (debug, info, warn, error). */
export type RetryLogger = Logger;

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
  /**
   * Cancels the pending wait at once and stops further attempts, for every call of the policy
   * (a per-call signal goes in the call's context: core `withCallOptions`). @default none
   */
  signal?: AbortSignal;
  /**
   * Which resolved results are failures: retried like a retryable error (their `Retry-After` is
   * honoured); when attempts run out, the last result is returned, not thrown (Polly's semantics).
   * @default isFailureResponse (a Response-like object with status 408, 425, 429, 500, 502, 503 or 504)
   */
  isFailureResult?: (result: unknown) => boolean;
  /** A budget shared by several functions; when empty, failures are not retried. @default none */
  budget?: RetryBudget;
  /** Name in log lines. @default the function's (or method's) name */
  name?: string;
  /**
   * Where retries (info) and the first refusal of a spent budget (warn) are logged, or false for
   * none. `SafeLogger` of @resil/safe-log fits. @default core's codeLogger('resil.retry') (warn and up)
   */
  logger?: Logger | false;
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

const KNOWN: ReadonlySet<string> = new Set([
  ...Object.keys(DEFAULTS),
  'retryOn',
  'isFailureResult',
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

/** A wrapped function: the function, its resolved policy as `.retry`, and the policy's events. */
export type Retried<F> = F & RetryEvents & { readonly retry: RetryPolicy };

/** What `retryable()` returns: a wrapper for a function, a TC39 method decorator, and the events. */
export type Retryable = (<F extends AnyAsyncFn>(
  fn: F,
  context?: ClassMethodDecoratorContext,
) => Retried<F>) &
  RetryEvents;

const OWNER = 'retryable';

/** `Infinity`, or an integer from `min` (an option that may be unbounded). */
function integerOrInfinity(name: 'maxAttempts' | 'maxElapsedMs', value: unknown, min: number) {
  const v = value === undefined ? DEFAULTS[name] : value;
  return v === Number.POSITIVE_INFINITY ? v : integerOption(OWNER, name, v, { min });
}

function resolve(o: Partial<RetryOptions>): RetryPolicy {
  const maxAttempts = integerOrInfinity('maxAttempts', o.maxAttempts, 1);
  // Waits must fit a timer: a longer setTimeout fires after 1 ms, which would remove the backoff.
  const timer = (name: keyof RetryPolicy, min = 0) =>
    integerOption(OWNER, name, o[name], {
      default: DEFAULTS[name] as number,
      min,
      max: MAX_TIMER_MS,
    });
  const minDelayMs = timer('minDelayMs');
  const maxDelayMs = timer('maxDelayMs', minDelayMs);
  const maxRetryAfterMs = timer('maxRetryAfterMs');
  const maxElapsedMs = integerOrInfinity('maxElapsedMs', o.maxElapsedMs, 0);
  const factor = numberOption(OWNER, 'factor', o.factor, { default: DEFAULTS.factor, min: 1 });
  const jitter = enumOption(OWNER, 'jitter', o.jitter, JITTERS, DEFAULTS.jitter);
  for (const fn of [
    'retryOn',
    'isFailureResult',
    'onRetry',
    'onGiveUp',
    'onSuccess',
    'random',
    'clock',
  ] as const)
    functionOption(OWNER, fn, o[fn]);
  return Object.freeze({
    maxAttempts,
    minDelayMs,
    maxDelayMs,
    factor,
    jitter,
    maxRetryAfterMs,
    maxElapsedMs,
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

/** Whether `retryOn` retries `error`: exactly `true` only; a throwing classifier means no. */
async function classify(
  retryOn: (error: unknown) => boolean | Promise<boolean>,
  error: unknown,
): Promise<boolean> {
  try {
    return (await retryOn(error)) === true;
  } catch {
    return false;
  }
}

/** The signal that fires when any of `signals` does, or undefined for none. */
function joinSignals(...signals: Array<AbortSignal | undefined>): AbortSignal | undefined {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  if (present.length < 2) return present[0];
  return AbortSignal.any(present);
}

/** Carries a rejection with undefined or null through async-retry's `bail` (see `stop`). */
class NullishRejection {
  constructor(readonly value: null | undefined) {}
}

/** Thrown inside async-retry to start the next attempt after a failure result. */
const RETRY_RESULT = new Error('retry a failure result');

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
 *
 * The returned policy and every function it wraps carry `onRetry`, `onGiveUp` and
 * `onBudgetExhausted` (core events, shared by the functions of one policy); each is also counted
 * by OpenTelemetry (`resilience.strategy.events`, strategy `retry`, pipeline = the name), with
 * attempt and execution durations and `http.request.resend_count` on the active span of a retry.
 */
export function retryable(options: RetryOptions = {}): Retryable {
  const o = checkOptions(OWNER, options, KNOWN);
  const policy = resolve(o);
  const retryOn = o.retryOn ?? isRetryable;
  const isFailureResult = o.isFailureResult ?? isFailureResponse;
  /** Whether a resolved result is a failure: exactly `true` only; a throwing predicate means no. */
  const isFailure = (result: unknown): boolean => {
    try {
      return isFailureResult(result) === true;
    } catch {
      return false;
    }
  };
  const random = o.random ?? Math.random;
  const clock = o.clock ?? Date.now;
  const { signal, budget, onRetry, onGiveUp, onSuccess } = o;
  const logger = resolveLogger(OWNER, 'resil.retry', o.logger);
  const retried = new EventEmitter<RetryNotice>();
  const gaveUp = new EventEmitter<GiveUpNotice>();
  const exhausted = new EventEmitter<BudgetExhaustedNotice>();
  const events: RetryEvents = {
    onRetry: retried.event,
    onGiveUp: gaveUp.event,
    onBudgetExhausted: exhausted.event,
  };

  // A function declaration, not an arrow cast with `as Retryable`: Stryker does not mutate inside a
  // type assertion (it skips the whole TSAsExpression), so the cast left this body untested by
  // mutation until #18.
  function wrap<F extends AnyAsyncFn>(fn: F, context?: ClassMethodDecoratorContext): Retried<F> {
    if (typeof fn !== 'function') throw new TypeError('retryable: expected a function to wrap');
    const name = o.name ?? (context ? String(context.name) : fn.name || 'call');
    const telemetry = createTelemetry({ strategy: 'retry', pipeline: name, scope: '@resil/retry' });
    const log = ({ attempt, delayMs, error }: RetryEvent) =>
      logger.info(
        `retrying ${name} in ${(delayMs / 1000).toFixed(1)} s after ${describe(error)} (attempt ${attempt} of ${policy.maxAttempts})`,
        { name, attempt, maxAttempts: policy.maxAttempts, delayMs },
      );
    const warnSpent = () =>
      logger.warn(`retry budget spent: ${name} not retried`, { name, event: 'budget-exhausted' });
    const wrapped = function (this: unknown, ...incoming: unknown[]) {
      // A context passed by the caller or an outer policy (compose) is taken off and honoured.
      const { args, context } = splitContext(incoming);
      const started = clock();
      const deadline = context?.deadline;
      // The policy's signal and the call's (a call context's signal fires at its deadline too).
      const outer = joinSignals(signal, context?.signal);
      // The deadline's signal is a timer, which may fire up to a millisecond before the wall
      // clock reads the deadline: its TimeoutError counts as the deadline too.
      const stopReason = (): GiveUpReason =>
        deadline !== undefined && (clock() >= deadline || isTimeoutReason(outer?.reason))
          ? 'deadline'
          : 'aborted';
      let previousMs = policy.minDelayMs;
      budget?.deposit();
      /** The call ends with `error` (after `attempts` attempts): events, telemetry, the mark. */
      const giveUp = (error: unknown, attempts: number, reason: GiveUpReason) => {
        markAttempts(error, attempts);
        emit(onGiveUp, { attempts, error, reason });
        const code = errorTypeOf(error);
        gaveUp.emit({ name, attempts, reason, code });
        telemetry.event('give-up', { severity: 'warning', attributes: { reason } });
        telemetry.execution(clock() - started, { errorType: code });
      };
      return asyncRetry(
        async (bail: (e: Error) => void, attempt: number) => {
          if (outer?.aborted) {
            giveUp(outer.reason, attempt - 1, stopReason());
            bail(outer.reason);
            return undefined;
          }
          if (deadline !== undefined && clock() >= deadline) {
            // A deadline already passed (its signal fires a timer tick later): no attempt starts.
            const late = new DOMException('The call deadline passed', 'TimeoutError');
            giveUp(late, attempt - 1, 'deadline');
            bail(late as unknown as Error);
            return undefined;
          }
          // The resend count of a retried (outbound) call, on the caller's active span.
          telemetry.setResendCount(attempt - 1);
          const attemptStarted = clock();
          // This attempt's signal: the caller's abort, the deadline, or the policy moving on.
          const controller = new AbortController();
          const attemptSignal = joinSignals(outer, controller.signal) as AbortSignal;
          const ctx = deriveContext(context, { signal: attemptSignal, attempt, deadline });
          let value: unknown;
          let failed = false;
          let error: unknown;
          try {
            value = await untilAborted(fn.apply(this, [...args, ctx]), outer);
          } catch (e) {
            failed = true;
            error = e;
          }
          if (!failed && !isFailure(value)) {
            telemetry.attempt(clock() - attemptStarted, { attempt, handled: false });
            telemetry.execution(clock() - started);
            emit(onSuccess, { attempts: attempt });
            return value;
          }
          // An error, or a result `isFailureResult` marks (retried; the last one is returned).
          const failure = failed ? error : value;
          const code = errorTypeOf(failure);
          const over = () =>
            controller.abort(new DOMException('The attempt is over', 'AbortError'));
          if (failed && outer?.aborted) {
            // The caller's abort or the deadline: never retried, whatever the function threw.
            telemetry.attempt(clock() - attemptStarted, {
              attempt,
              handled: false,
              errorType: code,
            });
            giveUp(error, attempt, stopReason());
            over();
            bail(outer.reason);
            return undefined;
          }
          const handled = failed ? await classify(retryOn, error) : true;
          telemetry.attempt(clock() - attemptStarted, { attempt, handled, errorType: code });
          const stop = (reason: GiveUpReason) => {
            giveUp(failure, attempt, reason);
            if (!failed) return value; // Polly: the last result, as it is
            over();
            // async-retry rejects with `err || new Error('Aborted')`: a nullish rejection travels
            // boxed and is unwrapped below, so the caller gets exactly what the function threw.
            bail((error ?? new NullishRejection(error)) as Error);
            return undefined;
          };
          if (attempt >= policy.maxAttempts) return stop('exhausted');
          if (!handled) return stop('not-retryable');
          const now = clock();
          const asked = retryAfterMsOf(failure, now);
          if ((asked ?? 0) > policy.maxRetryAfterMs) return stop('retry-after-too-long');
          // A Retry-After can lengthen the wait, never shorten it below the computed backoff.
          const delayMs = Math.max(backoffMs(policy, attempt, previousMs, random), asked ?? 0);
          previousMs = Math.max(delayMs, 1);
          if (now + delayMs - started > policy.maxElapsedMs) return stop('elapsed');
          // A deadline covers the waits too: no wait starts that would end at or after it.
          if (deadline !== undefined && now + delayMs >= deadline) return stop('deadline');
          if (budget) {
            const wasSpent = budget.exhausted;
            if (!budget.tryWithdraw()) {
              // Logged once per spell of an empty budget; counted every time.
              if (!wasSpent) emit(warnSpent, name);
              exhausted.emit({ name });
              telemetry.event('budget-exhausted', { severity: 'warning' });
              return stop('budget');
            }
          }
          over(); // the attempt is over: what it left running stops
          const wait = sleep(delayMs, outer);
          // Emitted after the timer is scheduled, so a test can advance fake time from the hook.
          emit(onRetry, { attempt, delayMs, error: failure });
          retried.emit({ name, attempt, delayMs, code });
          telemetry.event('retry', {
            severity: 'warning',
            attributes: { [TELEMETRY_NAMES.ATTEMPT_NUMBER]: attempt },
          });
          emit(log, { attempt, delayMs, error: failure });
          try {
            await wait;
          } catch (reason) {
            giveUp(failure, attempt, stopReason());
            bail(reason as Error);
            return undefined;
          }
          // async-retry starts the next attempt. Never hand it the function's own error: it reads
          // `err.bail` on what it gets (undefined or null left the call unsettled; a truthy `bail`
          // property stopped the retries). The failure is ours to rethrow, at give-up.
          throw RETRY_RESULT;
        },
        // Attempts only: every wait is ours (above), so async-retry's own timer is zero.
        {
          retries: policy.maxAttempts - 1,
          minTimeout: 0,
          maxTimeout: 0,
          factor: 1,
          randomize: false,
        },
      ).catch((e: unknown) => {
        throw e instanceof NullishRejection ? e.value : e;
      });
    };
    Object.defineProperty(wrapped, 'name', { value: name, configurable: true });
    Object.defineProperty(wrapped, 'retry', { value: policy, enumerable: true });
    return Object.assign(wrapped, events) as unknown as Retried<F>;
  }
  return Object.assign(wrap, events);
}

/**
 * A deadline's abort reason: `AbortSignal.timeout`'s DOMException named TimeoutError (checked by
 * name: a DOMException made in another realm is not an `instanceof Error` there).
 */
function isTimeoutReason(reason: unknown): boolean {
  return (
    typeof reason === 'object' &&
    reason !== null &&
    (reason as { name?: unknown }).name === 'TimeoutError'
  );
}
