export type { RetryBudgetOptions } from './budget';
export { RetryBudget } from './budget';
export {
  isAbort,
  isCircuitOpen,
  isRetryable,
  MAX_TIMER_MS,
  parseRetryAfter,
  RETRYABLE_CODES,
  RETRYABLE_STATUS,
  retryAfterMsOf,
  statusOf,
} from './classify';
export { ATTEMPTS, attemptsOf } from './errors';
export type {
  GiveUpEvent,
  GiveUpReason,
  Jitter,
  Retryable,
  RetryEvent,
  RetryLogger,
  RetryOptions,
  RetryPolicy,
} from './retryable';
export { backoffMs, retryable } from './retryable';
