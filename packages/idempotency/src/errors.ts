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

const CODES: ReadonlySet<string> = new Set(Object.values(ERROR_CODES));

/** True for an {@link IdempotencyStoreError} (checked by `code`, so two installed copies agree). */
export function isIdempotencyStoreError(err: unknown): err is IdempotencyStoreError {
  return hasErrorCode(err) && CODES.has(err.code);
}
