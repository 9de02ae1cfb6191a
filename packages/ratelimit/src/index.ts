export type { RedisClient, RedisLike } from '@resil/core';
export {
  ERROR_CODES,
  isRateLimitError,
  RateLimitAbortError,
  type RateLimitErrorCode,
  RateLimitQueueFullError,
  RateLimitTimeoutError,
} from './errors';
export {
  type RateLimitInfo,
  type RateLimitMiddleware,
  type RateLimitOptions,
  rateLimit,
} from './inbound';
export { ipKey } from './ip';
export {
  type AcquireOptions,
  createRateLimiter,
  type RateLimiter,
  type RateLimiterOptions,
} from './outbound';
export type {
  AllowedEvent,
  GrantedEvent,
  LimitedEvent,
  RefundedEvent,
  RefusedEvent,
  StoreDegradedEvent,
  StoreErrorEvent,
  StoreRestoredEvent,
} from './types';
