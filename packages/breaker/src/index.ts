export type { CircuitBreakerOptions, CircuitBreakerWrapper } from './breaker';
export { Breaker, circuitBreaker, defaultIsFailure } from './breaker';
export type { BreakerEvents, BreakerState, BreakerStats, StateChangeEvent } from './circuit';
export {
  BreakerConflictError,
  BreakerTimeoutError,
  CircuitOpenError,
  ERROR_CODES,
  isBreakerTimeoutError,
  isCircuitOpenError,
} from './errors';
export type { RedisLike } from './stores/redis-link';
