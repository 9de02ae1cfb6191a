import { errorCode, hasErrorCode, problemType, ResilError } from '@resil/core';

/** Slugs of the problem+json answers (the `type` is `https://resil.dev/problems/<slug>`). Stable. */
export const PROBLEM_SLUGS = Object.freeze({
  MISSING_KEY: 'idempotency-key-missing',
  INVALID_KEY: 'idempotency-key-invalid',
  MISMATCH: 'idempotency-key-reused',
  IN_PROGRESS: 'idempotency-key-in-progress',
  NOT_REPLAYABLE: 'idempotency-response-not-kept',
  STORE_UNAVAILABLE: 'idempotency-store-unavailable',
  BODY_UNPARSED: 'idempotency-body-unparsed',
} as const);

type Slugs = typeof PROBLEM_SLUGS;

/** `type` URIs of the problem+json bodies this middleware answers with. Stable. */
export const PROBLEM_TYPES: { readonly [K in keyof Slugs]: string } = Object.freeze(
  Object.fromEntries(Object.entries(PROBLEM_SLUGS).map(([k, slug]) => [k, problemType(slug)])) as {
    [K in keyof Slugs]: string;
  },
);

/** Stable codes of the package's errors (`RESIL_IDEMPOTENCY_<WHAT>`), never reused. */
export const ERROR_CODES = Object.freeze({
  /** The memory store is full of in-progress claims: a new key cannot be claimed. */
  STORE_FULL: errorCode('idempotency', 'STORE_FULL'),
  /** `waitForReplicas`: fewer replicas than asked acknowledged the write in time. */
  NOT_REPLICATED: errorCode('idempotency', 'NOT_REPLICATED'),
  /** `waitForReplicas`: the pipeline of a script and `WAIT` answered nothing. */
  NO_REPLY: errorCode('idempotency', 'NO_REPLY'),
  /** `encryptionKey`: a stored record names a key id that is not configured. */
  UNKNOWN_KEY_ID: errorCode('idempotency', 'UNKNOWN_KEY_ID'),
  /** `encryptionKey`: a stored record does not decrypt (tag check failed, moved or altered). */
  DECRYPT_FAILED: errorCode('idempotency', 'DECRYPT_FAILED'),
  /** `makeIdempotent`: another call with this key still runs (`onConcurrent: 'reject'`, or the wait ran out). */
  IN_PROGRESS: errorCode('idempotency', 'IN_PROGRESS'),
  /** `makeIdempotent`: the key was used with other arguments (another fingerprint). */
  MISMATCH: errorCode('idempotency', 'MISMATCH'),
  /** `makeIdempotent`: the call was completed but its result was too large to keep. */
  NOT_REPLAYABLE: errorCode('idempotency', 'NOT_REPLAYABLE'),
});

export type IdempotencyErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/**
 * A store refused or could not confirm a write. A core `ResilError` with a stable `code`; the
 * message never carries a key or a payload.
 */
export class IdempotencyStoreError extends ResilError<IdempotencyErrorCode> {
  constructor(code: IdempotencyErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'IdempotencyStoreError';
  }
}

const STORE_CODES: ReadonlySet<string> = new Set([
  ERROR_CODES.STORE_FULL,
  ERROR_CODES.NOT_REPLICATED,
  ERROR_CODES.NO_REPLY,
  ERROR_CODES.UNKNOWN_KEY_ID,
  ERROR_CODES.DECRYPT_FAILED,
]);

/** True for an {@link IdempotencyStoreError} (checked by `code`, so two installed copies agree). */
export function isIdempotencyStoreError(err: unknown): err is IdempotencyStoreError {
  return hasErrorCode(err) && STORE_CODES.has(err.code);
}

/**
 * `makeIdempotent` refused a call without running it: `RESIL_IDEMPOTENCY_IN_PROGRESS`,
 * `RESIL_IDEMPOTENCY_MISMATCH` or `RESIL_IDEMPOTENCY_NOT_REPLAYABLE`. The message never carries
 * the key or an argument.
 */
export class IdempotencyError extends ResilError<IdempotencyErrorCode> {
  constructor(code: IdempotencyErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'IdempotencyError';
  }
}
