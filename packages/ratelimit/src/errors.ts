import { ResilError } from '@resil/core';

/** Codes of the errors this package throws. Stable: never reused for another meaning. */
export const ERROR_CODES = Object.freeze({
  /** No token within `timeoutMs` (the wait the limiter would have needed is longer). */
  TIMEOUT: 'RESIL_RATELIMIT_TIMEOUT',
  /** The caller's `signal` aborted the wait. */
  ABORTED: 'RESIL_RATELIMIT_ABORTED',
  /** Too many callers already waiting in this process (`maxQueue`). */
  QUEUE_FULL: 'RESIL_RATELIMIT_QUEUE_FULL',
} as const);

export type RateLimitErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** `acquire()` gave up: the next token comes later than the caller is willing to wait. */
export class RateLimitTimeoutError extends ResilError<typeof ERROR_CODES.TIMEOUT> {
  readonly limiter: string;
  /** How long the caller would have had to wait (ms), when known. */
  readonly waitMs: number | undefined;
  constructor(limiter: string, waitMs?: number) {
    super(ERROR_CODES.TIMEOUT, `rate limiter "${limiter}": no token within the allowed wait`);
    this.name = 'RateLimitTimeoutError';
    this.limiter = limiter;
    this.waitMs = waitMs === undefined ? undefined : Math.ceil(waitMs);
  }
}

/** `acquire()` was aborted by its signal. Named `AbortError`, so retry policies never retry it. */
export class RateLimitAbortError extends ResilError<typeof ERROR_CODES.ABORTED> {
  readonly limiter: string;
  constructor(limiter: string, cause?: unknown) {
    super(
      ERROR_CODES.ABORTED,
      `rate limiter "${limiter}": wait aborted`,
      cause === undefined ? {} : { cause },
    );
    this.name = 'AbortError';
    this.limiter = limiter;
  }
}

/** This process already has `maxQueue` callers waiting on the limiter. */
export class RateLimitQueueFullError extends ResilError<typeof ERROR_CODES.QUEUE_FULL> {
  readonly limiter: string;
  readonly maxQueue: number;
  constructor(limiter: string, maxQueue: number) {
    super(ERROR_CODES.QUEUE_FULL, `rate limiter "${limiter}": ${maxQueue} callers already waiting`);
    this.name = 'RateLimitQueueFullError';
    this.limiter = limiter;
    this.maxQueue = maxQueue;
  }
}

/** True for an error of this package, by its `code` (also from another installed copy). */
export function isRateLimitError(
  err: unknown,
): err is RateLimitTimeoutError | RateLimitAbortError | RateLimitQueueFullError {
  const code =
    typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return (
    code === ERROR_CODES.TIMEOUT || code === ERROR_CODES.ABORTED || code === ERROR_CODES.QUEUE_FULL
  );
}
