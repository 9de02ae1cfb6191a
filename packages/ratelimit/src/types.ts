/**
 * Outcome events of the limiters. Payloads carry only names, codes, counts, durations and
 * booleans: never a client key, an address, a URL or anything else from a request.
 */

/** The outbound limiter granted `cost` units after the caller waited `waitedMs`. */
export interface GrantedEvent {
  readonly name: string;
  readonly cost: number;
  readonly waitedMs: number;
}

/** The outbound limiter refused (`code`: RESIL_RATELIMIT_TIMEOUT, _ABORTED or _QUEUE_FULL). */
export interface RefusedEvent {
  readonly name: string;
  readonly cost: number;
  readonly code: string;
}

/** Redis became unusable to the limiter (`name`: the outbound limiter's name or the inbound policy). */
export interface StoreDegradedEvent {
  readonly name: string;
  /** `timeout`: no answer in time; `failed`: a command failed; `unavailable`: not connected (or closed). */
  readonly reason: 'timeout' | 'failed' | 'unavailable';
}

/** Redis answers again after a degradation of `downMs`. */
export interface StoreRestoredEvent {
  readonly name: string;
  readonly downMs: number;
}

/** The inbound middleware let a request through with `remaining` units left in its window. */
export interface AllowedEvent {
  readonly policy: string;
  readonly remaining: number;
}

/** The inbound middleware answered 429; the client may retry after `retryAfterMs`. */
export interface LimitedEvent {
  readonly policy: string;
  readonly retryAfterMs: number;
}

/**
 * The store failed for one request (`code`: RESIL_CORE_REDIS_TIMEOUT, _FAILED or _UNAVAILABLE);
 * `insurance`: the in-memory insurance limiter decided the request instead.
 */
export interface StoreErrorEvent {
  readonly policy: string;
  readonly code: string;
  readonly insurance: boolean;
}

/**
 * A refund (skipSuccessfulRequests / skipFailedRequests) of `cost` units: `refunded` false when
 * the request's window had ended (or been re-armed by a block), or the store failed.
 */
export interface RefundedEvent {
  readonly policy: string;
  readonly cost: number;
  readonly refunded: boolean;
}
