/**
 * The one error scheme of every @resil package: a base class with a stable `code` of the form
 * `RESIL_<PACKAGE>_<WHAT>` (upper-case letters, digits and `_`), `cause` kept, and guards that
 * read the code rather than `instanceof`, so two installed copies of a package still agree.
 * Messages never carry input data: they are written by the package, from constants and numbers.
 */

const CODE = /^RESIL_[A-Z][A-Z0-9]*_[A-Z][A-Z0-9_]*$/;

/** Builds a code `RESIL_<PACKAGE>_<WHAT>` and checks it; throws a TypeError for a malformed one. */
export function errorCode<P extends string, W extends string>(
  pkg: P,
  what: W,
): `RESIL_${Uppercase<P>}_${W}` {
  const code = `RESIL_${pkg.toUpperCase()}_${what}`;
  if (!CODE.test(code))
    throw new TypeError('errorCode: package and what must be upper-case words (A-Z, 0-9, _)');
  return code as `RESIL_${Uppercase<P>}_${W}`;
}

/** True for a well-formed `RESIL_<PACKAGE>_<WHAT>` code. */
export function isErrorCode(code: unknown): code is string {
  return typeof code === 'string' && CODE.test(code);
}

/** Options of every @resil error. */
export interface ResilErrorOptions {
  /** The error that led to this one (kept as `cause`, as in `new Error(msg, { cause })`). */
  cause?: unknown;
}

/**
 * Base class of every error a @resil package throws. Subclasses set `name`; `code` never changes
 * meaning once published (a code is never reused for another meaning).
 */
export class ResilError<C extends string = string> extends Error {
  readonly code: C;
  constructor(code: C, message: string, options: ResilErrorOptions = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    if (!CODE.test(code)) throw new TypeError('ResilError: code must be RESIL_<PACKAGE>_<WHAT>');
    this.name = 'ResilError';
    this.code = code;
  }
}

/** True when `err` carries the `code` (or, without a code argument, any `RESIL_*` code). */
export function hasErrorCode(err: unknown, code?: string): err is { code: string } {
  if (typeof err !== 'object' || err === null) return false;
  const c = (err as { code?: unknown }).code;
  return code === undefined ? isErrorCode(c) : c === code;
}

/** True for an error of any @resil package, also from another installed copy. */
export function isResilError(err: unknown): err is ResilError {
  return err instanceof Error && hasErrorCode(err);
}

/** Codes of the errors @resil/core throws. Stable: never reused for another meaning. */
export const CORE_ERROR_CODES = Object.freeze({
  /** A Redis command did not answer within its time limit. */
  REDIS_TIMEOUT: 'RESIL_CORE_REDIS_TIMEOUT',
  /** A Redis command failed (its error is the `cause`). */
  REDIS_FAILED: 'RESIL_CORE_REDIS_FAILED',
  /** Redis was not asked: the client is not connected, or a back-off after a failure runs. */
  REDIS_UNAVAILABLE: 'RESIL_CORE_REDIS_UNAVAILABLE',
  /** The bounded Redis caller was closed. */
  CLOSED: 'RESIL_CORE_CLOSED',
  /** An option that no such factory takes. TypeError. */
  OPTION_UNKNOWN: 'RESIL_CORE_OPTION_UNKNOWN',
  /** An option of the wrong type. TypeError. */
  OPTION_TYPE: 'RESIL_CORE_OPTION_TYPE',
  /** An option of the right type outside its range or set. RangeError. */
  OPTION_RANGE: 'RESIL_CORE_OPTION_RANGE',
  /** A script was run with keys of different hash tags (they would not share a Cluster slot). */
  CROSS_SLOT: 'RESIL_CORE_CROSS_SLOT',
} as const);

export type CoreErrorCode = (typeof CORE_ERROR_CODES)[keyof typeof CORE_ERROR_CODES];

/** Why a Redis call did not return a reply. */
export type RedisUnavailableReason = 'timeout' | 'failed' | 'unavailable' | 'closed';

const REASON_CODES = {
  timeout: CORE_ERROR_CODES.REDIS_TIMEOUT,
  failed: CORE_ERROR_CODES.REDIS_FAILED,
  unavailable: CORE_ERROR_CODES.REDIS_UNAVAILABLE,
  closed: CORE_ERROR_CODES.CLOSED,
} as const;

const REASON_MESSAGES = {
  timeout: 'redis: the command did not answer in time',
  failed: 'redis: the command failed',
  unavailable: 'redis: not asked (not connected, or backing off after a failure)',
  closed: 'redis: the caller was closed',
} as const;

/**
 * A Redis call that returned no reply: too slow, failed, not attempted (back-off or no connection)
 * or after `close()`. The caller decides: fall back to memory, fail open or fail closed.
 */
export class RedisUnavailableError extends ResilError<
  (typeof REASON_CODES)[RedisUnavailableReason]
> {
  readonly reason: RedisUnavailableReason;
  /** The time limit that ran out (reason `timeout`), in ms. */
  readonly timeoutMs: number | undefined;
  constructor(
    reason: RedisUnavailableReason,
    options: ResilErrorOptions & { timeoutMs?: number } = {},
  ) {
    const { timeoutMs, ...rest } = options;
    super(
      REASON_CODES[reason],
      reason === 'timeout' && timeoutMs !== undefined
        ? `redis: the command did not answer within ${timeoutMs} ms`
        : REASON_MESSAGES[reason],
      rest,
    );
    this.name = 'RedisUnavailableError';
    this.reason = reason;
    this.timeoutMs = timeoutMs;
  }
}

/** True for a RedisUnavailableError, also from another installed copy of @resil/core. */
export function isRedisUnavailableError(err: unknown): err is RedisUnavailableError {
  if (!(typeof err === 'object' && err !== null)) return false;
  const c = (err as { code?: unknown }).code;
  return (
    c === CORE_ERROR_CODES.REDIS_TIMEOUT ||
    c === CORE_ERROR_CODES.REDIS_FAILED ||
    c === CORE_ERROR_CODES.REDIS_UNAVAILABLE ||
    c === CORE_ERROR_CODES.CLOSED
  );
}
