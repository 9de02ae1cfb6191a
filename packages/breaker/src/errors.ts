/** Codes of the errors this package throws. Stable: never reused for another meaning. */
export const ERROR_CODES = Object.freeze({
  /** The circuit is open: the call was rejected without calling the function. */
  OPEN: 'ECIRCUITOPEN',
  /** The call took longer than `timeoutMs` (it counts as a failure). */
  TIMEOUT: 'RESIL_BREAKER_TIMEOUT',
  /** A second breaker of the same name in one process asked for different circuit settings. */
  CONFLICT: 'RESIL_BREAKER_CONFLICT',
});

/**
 * Rejection of a call while the circuit is open (or while another worker's probe is running):
 * the function was not called. `retryAfterMs` says when a probe may be allowed.
 */
export class CircuitOpenError extends Error {
  readonly code = ERROR_CODES.OPEN;
  readonly breakerName: string;
  readonly retryAfterMs: number;
  constructor(breakerName: string, retryAfterMs: number) {
    super(
      `circuit "${breakerName}" is open; next probe in ${Math.max(0, Math.round(retryAfterMs))} ms`,
    );
    this.name = 'CircuitOpenError';
    this.breakerName = breakerName;
    this.retryAfterMs = Math.max(0, Math.round(retryAfterMs));
  }
}

/** A call slower than `timeoutMs`. */
export class BreakerTimeoutError extends Error {
  readonly code = ERROR_CODES.TIMEOUT;
  readonly breakerName: string;
  readonly timeoutMs: number;
  constructor(breakerName: string, timeoutMs: number) {
    super(`call through "${breakerName}" timed out after ${timeoutMs} ms`);
    this.name = 'BreakerTimeoutError';
    this.breakerName = breakerName;
    this.timeoutMs = timeoutMs;
  }
}

/** True for a CircuitOpenError, also from another installed copy of this package. */
export function isCircuitOpenError(err: unknown): err is CircuitOpenError {
  return (
    typeof err === 'object' && err !== null && (err as { code?: unknown }).code === ERROR_CODES.OPEN
  );
}

export function isBreakerTimeoutError(err: unknown): err is BreakerTimeoutError {
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { code?: unknown }).code === ERROR_CODES.TIMEOUT
  );
}

/**
 * Thrown by `circuitBreaker()` when a breaker of the same name already lives in this process (on
 * the same Redis client and key prefix) with a different `option`: breakers of one name share one
 * circuit, so its settings must agree. A misconfiguration, hence a TypeError.
 */
export class BreakerConflictError extends TypeError {
  readonly code = ERROR_CODES.CONFLICT;
  readonly breakerName: string;
  readonly option: string;
  constructor(breakerName: string, option: string, existing: number, wanted: number) {
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
