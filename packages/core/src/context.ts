/**
 * The call context (issue #19): every function wrapped by a @resil policy (retryable, timeout,
 * circuitBreaker, bulkhead) receives `{ signal, attempt }` as its last argument. The signal fires
 * when the caller aborts, when the attempt's time limit or the call's deadline passes, or when the
 * policy gives up; `fetch(url, { signal })` then really stops.
 *
 * Policies nest (`compose(retry, breaker, timeout)(fn)`): a wrapper called with a context as its
 * last argument takes it off, derives its own from it (a child signal, the same deadline) and
 * passes that one on, so the function at the centre receives exactly one context, never a stack.
 *
 * Per-call options: pass `callContext({ signal, deadline })` as the last argument of a wrapped
 * function, or use `withCallOptions(wrapped, { signal, timeoutMs })`.
 */

const BRAND: unique symbol = Symbol.for('@resil/core.call-context');

export interface CallContext {
  /** Fires on the caller's abort, on the attempt's time limit or the deadline, or on give-up. */
  readonly signal: AbortSignal;
  /** 1 for the first attempt; a retry policy counts up, other policies pass it on. */
  readonly attempt: number;
  /** Epoch milliseconds after which no attempt may start or go on, if the caller set one. */
  readonly deadline: number | undefined;
  readonly [BRAND]: true;
}

export interface CallOptions {
  /** The caller's signal: aborting it aborts the call, its waits and its attempts. */
  readonly signal?: AbortSignal | undefined;
  /** A time limit for the whole call, all attempts and waits included. */
  readonly timeoutMs?: number | undefined;
  /** An absolute deadline (epoch ms) for the whole call; the earlier of this and `timeoutMs` wins. */
  readonly deadline?: number | undefined;
}

const NEVER = new AbortController().signal;

export function isCallContext(value: unknown): value is CallContext {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[BRAND] === true
  );
}

/**
 * A context for a new call: the caller's signal (or one that never fires) and the deadline from
 * `deadline` and `timeoutMs`, whichever comes first. A passed deadline aborts the signal.
 */
export function callContext(options: CallOptions = {}, now: number = Date.now()): CallContext {
  const { signal, timeoutMs, deadline: at } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal))
    throw new TypeError('callContext: signal must be an AbortSignal');
  if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0))
    throw new RangeError('callContext: timeoutMs must be a positive finite number');
  if (at !== undefined && !Number.isFinite(at))
    throw new RangeError('callContext: deadline must be a finite epoch time in milliseconds');
  const deadline =
    timeoutMs === undefined
      ? at
      : at === undefined
        ? now + timeoutMs
        : Math.min(at, now + timeoutMs);
  const signals: AbortSignal[] = [];
  if (signal) signals.push(signal);
  if (deadline !== undefined) signals.push(AbortSignal.timeout(Math.max(0, deadline - now)));
  return make(
    signals.length === 0
      ? NEVER
      : signals.length === 1
        ? (signals[0] as AbortSignal)
        : AbortSignal.any(signals),
    1,
    deadline,
  );
}

/** A context with these fields: for policies deriving a child (another signal or attempt). */
export function deriveContext(
  parent: CallContext | undefined,
  change: { signal?: AbortSignal; attempt?: number; deadline?: number | undefined },
): CallContext {
  return make(
    change.signal ?? parent?.signal ?? NEVER,
    change.attempt ?? parent?.attempt ?? 1,
    'deadline' in change ? change.deadline : parent?.deadline,
  );
}

/**
 * Takes a trailing context off `args` (the one an outer policy or the caller passed), or
 * returns `context: undefined` when the last argument is not one.
 */
export function splitContext<A extends unknown[]>(
  args: A,
): { args: A; context: CallContext | undefined } {
  const last = args[args.length - 1];
  return isCallContext(last)
    ? { args: args.slice(0, -1) as A, context: last }
    : { args, context: undefined };
}

/** `wrapped` called with per-call options: `withCallOptions(create, { signal })(input)`. */
export function withCallOptions<A extends unknown[], R>(
  wrapped: (...args: [...A, CallContext?]) => Promise<R>,
  options: CallOptions,
): (...args: A) => Promise<R> {
  return (...args: A) => wrapped(...args, callContext(options));
}

/**
 * Policies in one line, outermost first, in the order Polly documents:
 * `compose(retryable(...), circuitBreaker(...), timeout(1_000))(fn)` is
 * retry around breaker around timeout around `fn`.
 */
export function compose<F>(...wrappers: ReadonlyArray<(fn: F) => F>): (fn: F) => F {
  for (const [i, w] of wrappers.entries())
    if (typeof w !== 'function')
      throw new TypeError(`compose: argument ${i + 1} must be a wrapper function`);
  return (fn: F) => wrappers.reduceRight<F>((inner, wrap) => wrap(inner), fn);
}

function make(signal: AbortSignal, attempt: number, deadline: number | undefined): CallContext {
  return Object.freeze({ signal, attempt, deadline, [BRAND]: true as const });
}
