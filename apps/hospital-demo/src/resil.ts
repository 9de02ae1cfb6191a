/**
 * The one place that decides where each resilience layer comes from: the @resil packages. Every
 * other file of the app imports the layers from here.
 */

export {
  Breaker,
  type BreakerState,
  CircuitOpenError,
  circuitBreaker,
  isCircuitOpenError,
} from '@resil/breaker';
export { type IdempotencyMiddleware, idempotency, idempotencyKeyFor } from '@resil/idempotency';
export {
  createRateLimiter,
  ERROR_CODES as RATELIMIT_ERROR_CODES,
  isRateLimitError,
  type RateLimiter,
  type RateLimitMiddleware,
  rateLimit,
} from '@resil/ratelimit';
export {
  type CallContext,
  callContext,
  compose,
  isRetryable,
  type RetryEvent,
  retryable,
  TIMEOUT_ERROR_CODE,
  timeout,
} from '@resil/retry';
export { requestLogger, SafeLogger } from '@resil/safe-log';
export {
  bodyErrorProblem,
  hasVisibleText,
  isDangerousKey,
  sanitizeInput,
  sanitizeRequest,
  securityHeaders,
  validate,
} from '@resil/sanitize';
