/** `type` URIs of the problem+json bodies this middleware answers with. Stable. */
export const PROBLEM_TYPES = Object.freeze({
  MISSING_KEY: 'https://resil.dev/problems/idempotency-key-missing',
  INVALID_KEY: 'https://resil.dev/problems/idempotency-key-invalid',
  MISMATCH: 'https://resil.dev/problems/idempotency-key-reused',
  IN_PROGRESS: 'https://resil.dev/problems/idempotency-key-in-progress',
  NOT_REPLAYABLE: 'https://resil.dev/problems/idempotency-response-not-kept',
  STORE_UNAVAILABLE: 'https://resil.dev/problems/idempotency-store-unavailable',
});
