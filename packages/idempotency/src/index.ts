export { PROBLEM_TYPES } from './errors';
export {
  canonicalJson,
  DENIED_HEADERS,
  type IdempotencyOptions,
  idempotency,
  idempotencyKeyFor,
  parseIdempotencyKey,
} from './middleware';
export type { IdempotencyStore, RedisLike, StoredResponse } from './store';
