import type { Event } from '@resil/core';

/**
 * The payload of every outcome event: the HTTP status answered (or replayed) and, where there is
 * one, a code (a problem slug or an error code). Never a key, a body or anything from the request.
 */
export interface OutcomeEvent {
  readonly status?: number;
  readonly code?: string;
}

/**
 * Outcome events of the middleware (each also counted by OpenTelemetry as
 * `resilience.strategy.events` with `event.name` in parentheses).
 */
export interface IdempotencyEvents {
  /** The handler ran under a fresh claim and answered (`executed`): `{ status }`. */
  readonly onExecuted: Event<OutcomeEvent>;
  /** A stored answer was replayed (`replayed`): `{ status }` (the stored status). */
  readonly onReplayed: Event<OutcomeEvent>;
  /**
   * A repeat got 409 (`conflict`): `{ status: 409, code }`, code `idempotency-key-in-progress`
   * (the first still runs) or `idempotency-response-not-kept` (done, body too large to keep).
   */
  readonly onConflict: Event<OutcomeEvent>;
  /** The key came with another request (`mismatch`): `{ status: 422 }`. */
  readonly onMismatch: Event<OutcomeEvent>;
  /**
   * The store failed (`store-error`): `{ status: 503, code }` with `onStoreError: 'deny'`,
   * `{ code }` with `'allow'` (the handler then runs unprotected); code e.g.
   * `RESIL_CORE_REDIS_TIMEOUT`, `RESIL_CORE_REDIS_UNAVAILABLE`, `RESIL_IDEMPOTENCY_STORE_FULL`.
   */
  readonly onStoreError: Event<OutcomeEvent>;
}
