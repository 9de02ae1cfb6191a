export { statusOf } from '@resil/core';
export type { RetryBudgetOptions } from './budget';
export { RetryBudget } from './budget';
export {
  errorTypeOf,
  isAbort,
  isCircuitOpen,
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
