/** Core's client type: ioredis `Redis`/`Cluster` or node-redis client/cluster (the `redis` option). */
export type { RedisClient } from '@resil/core';
export type { RecordOptions } from './common';
export type { EncryptionKeyOption } from './crypto';
export type { IdempotencyErrorCode } from './errors';
export {
  ERROR_CODES,
  IdempotencyError,
  IdempotencyStoreError,
  isIdempotencyStoreError,
  PROBLEM_SLUGS,
  PROBLEM_TYPES,
} from './errors';
export type { IdempotencyEvents, OutcomeEvent } from './events';
export {
  type IdempotentFunction,
  type MakeIdempotentOptions,
  makeIdempotent,
} from './function';
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
  ClaimResult,
  IdempotencyStore,
  MemoryStoreLimits,
  RedisLike,
  RedisStoreOptions,
  StoredResponse,
  WaitForReplicas,
} from './store';
export { MemoryStore, RedisStore } from './store';
