export {
  ERROR_CODES,
  isRateLimitError,
  RateLimitAbortError,
  RateLimitQueueFullError,
  RateLimitTimeoutError,
} from './errors';
export { type RateLimitOptions, rateLimit } from './inbound';
export { ipKey } from './ip';
export {
  type AcquireOptions,
  createRateLimiter,
  type RateLimiter,
  type RateLimiterOptions,
} from './outbound';
export type { RedisLike } from './redis-call';
