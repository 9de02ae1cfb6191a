/**
 * The one place that decides where each resilience layer comes from. Every other file of the
 * app imports the layers from here.
 *
 * TODO(integration): the @resil packages are landing while this app is written. A line that
 * imports from './interim/...' is a minimal stand-in with the DESIGN.md contract; replace it with
 * the package as soon as the package exports the real thing (and delete the interim file).
 */

export {
  Breaker,
  type BreakerState,
  CircuitOpenError,
  circuitBreaker,
  isCircuitOpenError,
} from '@resil/breaker';
export { idempotency, idempotencyKeyFor } from '@resil/idempotency';
export { createRateLimiter, type RateLimiter, rateLimit } from '@resil/ratelimit';
export { isRetryable, type RetryEvent, retryable } from '@resil/retry';
export { requestLogger, SafeLogger } from '@resil/safe-log';
export {
  sanitizeInput,
  sanitizeRequest,
  securityHeaders,
  validate,
} from './interim/sanitize'; // TODO: @resil/sanitize
