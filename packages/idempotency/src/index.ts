/** Core's client type: ioredis `Redis`/`Cluster` or node-redis client/cluster (the `redis` option). */
export type { RedisClient } from '@resil/core';
export type { IdempotencyErrorCode } from './errors';
export {
  ERROR_CODES,
  IdempotencyStoreError,
  isIdempotencyStoreError,
  PROBLEM_SLUGS,
  PROBLEM_TYPES,
} from './errors';
export type { IdempotencyEvents, OutcomeEvent } from './events';
export {
  canonicalJson,
  DENIED_HEADERS,
  type IdempotencyMiddleware,
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
