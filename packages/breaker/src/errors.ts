import { hasErrorCode, ResilError } from '@resil/core';

/** Codes of the errors this package throws. Stable: never reused for another meaning. */
export const ERROR_CODES = Object.freeze({
  /** The circuit is open: the call was rejected without calling the function. */
  OPEN: 'RESIL_BREAKER_OPEN',
  /** The call took longer than `timeoutMs` (it counts as a failure). */
  TIMEOUT: 'RESIL_BREAKER_TIMEOUT',
  /** A second breaker of the same name in one process asked for different circuit settings. */
  CONFLICT: 'RESIL_BREAKER_CONFLICT',
} as const);

/**
 * The open-circuit code of @resil/breaker 0.1.0. `isCircuitOpenError` still recognises it, so an
 * older copy of the package installed next to this one is still understood; nothing emits it.
 */
export const LEGACY_OPEN_CODE = 'ECIRCUITOPEN';

/**
 * Rejection of a call while the circuit is open (or while another worker's probe is running):
 * the function was not called. `retryAfterMs` says when a probe may be allowed.
 */
export class CircuitOpenError extends ResilError<typeof ERROR_CODES.OPEN> {
  readonly breakerName: string;
  readonly retryAfterMs: number;
  constructor(breakerName: string, retryAfterMs: number) {
    const ms = Math.max(0, Math.round(retryAfterMs));
    super(ERROR_CODES.OPEN, `circuit "${breakerName}" is open; next probe in ${ms} ms`);
    this.name = 'CircuitOpenError';
    this.breakerName = breakerName;
    this.retryAfterMs = ms;
  }
}

/** A call slower than `timeoutMs`. */
export class BreakerTimeoutError extends ResilError<typeof ERROR_CODES.TIMEOUT> {
  readonly breakerName: string;
  readonly timeoutMs: number;
  constructor(breakerName: string, timeoutMs: number) {
    super(ERROR_CODES.TIMEOUT, `call through "${breakerName}" timed out after ${timeoutMs} ms`);
    this.name = 'BreakerTimeoutError';
    this.breakerName = breakerName;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * True for a CircuitOpenError, also from another installed copy of this package (by code,
 * `RESIL_BREAKER_OPEN`, or 0.1.0's `ECIRCUITOPEN`).
 */
export function isCircuitOpenError(err: unknown): err is CircuitOpenError {
  return hasErrorCode(err, ERROR_CODES.OPEN) || hasErrorCode(err, LEGACY_OPEN_CODE);
}

/** True for a BreakerTimeoutError, also from another installed copy of this package. */
export function isBreakerTimeoutError(err: unknown): err is BreakerTimeoutError {
  return hasErrorCode(err, ERROR_CODES.TIMEOUT);
}

/**
 * Thrown by `circuitBreaker()` when a breaker of the same name already lives in this process (on
 * the same Redis client and key prefix) with a different `option`: breakers of one name share one
 * circuit, so its settings must agree. A misconfiguration, hence a TypeError (as core's option
 * errors are) rather than a `ResilError`; it carries a `RESIL_BREAKER_*` code all the same, so
 * `isResilError()` and `hasErrorCode()` recognise it.
 */
export class BreakerConflictError extends TypeError {
  readonly code = ERROR_CODES.CONFLICT;
  readonly breakerName: string;
  readonly option: string;
  constructor(
    breakerName: string,
    option: string,
    existing: number | boolean | string,
    wanted: number | boolean | string,
  ) {
    super(
      `circuitBreaker: ${option} ${wanted} conflicts with ${option} ${existing} of the breaker "${breakerName}" ` +
        'already in this process; breakers with one name share one circuit, so give them the same ' +
        `${option} (or another name)`,
    );
    this.name = 'BreakerConflictError';
    this.breakerName = breakerName;
    this.option = option;
  }
}
