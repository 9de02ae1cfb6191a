import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { RateLimiter } from './resil';

/**
 * How the demo learns what @resil/ratelimit and @resil/idempotency decided. They do not emit
 * outcome events yet, so this module infers each outcome from outside: a proxy around the
 * outbound limiter, and the status of the response a wrapped middleware ended. It is the only
 * place that does: when the packages emit events, each `observe*` function subscribes to them
 * and returns the package's object unchanged, and no other file of the app changes.
 */

/** Idempotency outcomes that never reach the handler. */
export type IdempotencyOutcome = 'replayed' | 'conflict' | 'mismatch';

/** Who is told what the packages decided (src/activity.ts: the status page and the metrics). */
export interface OutcomeListener {
  /** The outbound limiter granted a token (`acquire`, or a `tryAcquire` that returned true). */
  outboundGranted(): void;
  /** The outbound limiter refused: no token within the allowed wait. */
  outboundRefused(): void;
  /** An inbound limiter answered 429. */
  inboundLimited(): void;
  /** The idempotency middleware answered without running the handler. */
  idempotency(outcome: IdempotencyOutcome): void;
}

/** The outbound `limiter`, reporting grants and refusals to `listener`; otherwise the same. */
export function observeOutbound(limiter: RateLimiter, listener: OutcomeListener): RateLimiter {
  return {
    name: limiter.name,
    points: limiter.points,
    durationMs: limiter.durationMs,
    storage: limiter.storage,
    get degraded() {
      return limiter.degraded;
    },
    get waiting() {
      return limiter.waiting;
    },
    async tryAcquire(cost) {
      const granted = await limiter.tryAcquire(cost);
      if (granted) listener.outboundGranted();
      return granted;
    },
    close: () => limiter.close(),
    async acquire(opts) {
      try {
        await limiter.acquire(opts);
      } catch (err) {
        listener.outboundRefused();
        throw err;
      }
      listener.outboundGranted();
    },
  };
}

/** An inbound rate-limit middleware; a 429 that it sent is reported as `inboundLimited`. */
export function observeInbound(limit: RequestHandler, listener: OutcomeListener): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    let passed = false;
    res.on('finish', () => {
      if (!passed && res.statusCode === 429) listener.inboundLimited();
    });
    limit(req, res, (err?: unknown) => {
      passed = true;
      next(err);
    });
  };
}

/**
 * The idempotency middleware: a replay (`Idempotent-Replayed: true`) is reported, and so is a
 * 409 (`conflict`: the same key in progress) or 422 (`mismatch`: the key with another payload)
 * that it sent without letting the request through to the handler.
 */
export function observeIdempotency(
  middleware: RequestHandler,
  listener: OutcomeListener,
): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    let passed = false;
    res.on('finish', () => {
      if (res.getHeader('Idempotent-Replayed') === 'true') listener.idempotency('replayed');
      else if (!passed && res.statusCode === 409) listener.idempotency('conflict');
      else if (!passed && res.statusCode === 422) listener.idempotency('mismatch');
    });
    middleware(req, res, (err?: unknown) => {
      if (err === undefined) passed = true;
      next(err);
    });
  };
}
