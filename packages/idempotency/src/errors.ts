/** `type` URIs of the problem+json bodies this middleware answers with. Stable. */
export const PROBLEM_TYPES = Object.freeze({
  MISSING_KEY: 'https://resil.dev/problems/idempotency-key-missing',
  INVALID_KEY: 'https://resil.dev/problems/idempotency-key-invalid',
  MISMATCH: 'https://resil.dev/problems/idempotency-key-reused',
  IN_PROGRESS: 'https://resil.dev/problems/idempotency-key-in-progress',
  NOT_REPLAYABLE: 'https://resil.dev/problems/idempotency-response-not-kept',
  STORE_UNAVAILABLE: 'https://resil.dev/problems/idempotency-store-unavailable',
  BODY_UNPARSED: 'https://resil.dev/problems/idempotency-body-unparsed',
});

/** Stable codes of the store's errors. */
export const ERROR_CODES = Object.freeze({
  /** The memory store is full of in-progress claims: a new key cannot be claimed. */
  STORE_FULL: 'RESIL_IDEMPOTENCY_STORE_FULL',
  /** `waitForReplicas`: fewer replicas than asked acknowledged the write in time. */
  NOT_REPLICATED: 'RESIL_IDEMPOTENCY_NOT_REPLICATED',
});

/** A store refused or could not confirm a write. Carries a stable `code`; never a key or payload. */
export class IdempotencyStoreError extends Error {
  override readonly name = 'IdempotencyStoreError';
  readonly code: (typeof ERROR_CODES)[keyof typeof ERROR_CODES];
  constructor(
    code: (typeof ERROR_CODES)[keyof typeof ERROR_CODES],
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = code;
  }
}

/** True for an {@link IdempotencyStoreError} (checked by `code`, so two installed copies agree). */
export function isIdempotencyStoreError(err: unknown): err is IdempotencyStoreError {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (Object.values(ERROR_CODES) as string[]).includes(code);
}
