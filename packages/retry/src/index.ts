export type { CallContext, CallOptions } from '@resil/core';
export { callContext, compose, statusOf, withCallOptions } from '@resil/core';
export type { RetryBudgetOptions } from './budget';
export { RetryBudget } from './budget';
export {
  errorTypeOf,
  isAbort,
  isCircuitOpen,
  isFailureResponse,
  isRetryable,
  MAX_TIMER_MS,
  parseRetryAfter,
  RETRYABLE_CODES,
  RETRYABLE_STATUS,
  retryAfterMsOf,
} from './classify';
export { ATTEMPTS, attemptsOf } from './errors';
export type {
  BudgetExhaustedNotice,
  GiveUpEvent,
  GiveUpNotice,
  GiveUpReason,
  Jitter,
  Retried,
  Retryable,
  RetryEvent,
  RetryEvents,
  RetryLogger,
  RetryNotice,
  RetryOptions,
  RetryPolicy,
} from './retryable';
export { backoffMs, retryable } from './retryable';
export type { TimedOut, Timeout, TimeoutEvents, TimeoutNotice, TimeoutOptions } from './timeout';
export { TIMEOUT_ERROR_CODE, TimeoutError, timeout } from './timeout';
