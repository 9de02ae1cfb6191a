export type { CircuitBreakerOptions, CircuitBreakerWrapper } from './breaker';
export { Breaker, circuitBreaker, defaultIsFailure } from './breaker';
export type {
  BreakerDegradedEvent,
  BreakerRestoredEvent,
  BreakerState,
  BreakerStats,
  CallFailedEvent,
  CallRejectedEvent,
  CallSucceededEvent,
  CallTimedOutEvent,
  ConfiguredEvent,
  StateChangeEvent,
} from './circuit';
export { defaultIsFailureResult, TELEMETRY_EVENTS } from './circuit';
export {
  BreakerConflictError,
  BreakerTimeoutError,
  CircuitOpenError,
  ERROR_CODES,
  isBreakerTimeoutError,
  isCircuitOpenError,
  LEGACY_OPEN_CODE,
} from './errors';
export type { DynamicSettings } from './settings';
export type { RedisLike } from './stores/redis-link';
