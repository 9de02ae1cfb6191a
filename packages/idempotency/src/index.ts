export {
  ERROR_CODES,
  IdempotencyStoreError,
  isIdempotencyStoreError,
  PROBLEM_TYPES,
} from './errors';
export {
  canonicalJson,
  DENIED_HEADERS,
  type IdempotencyOptions,
  idempotency,
  idempotencyKeyFor,
  markExecuted,
  parseIdempotencyKey,
} from './middleware';
export type {
  IdempotencyStore,
  MemoryStoreLimits,
  RedisLike,
  StoredResponse,
  WaitForReplicas,
} from './store';
