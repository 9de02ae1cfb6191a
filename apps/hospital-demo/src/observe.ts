import type { Breaker, IdempotencyMiddleware, RateLimiter, RateLimitMiddleware } from './resil';

/**
 * How the demo learns what the @resil layers decided: by subscribing to their outcome events,
 * here and nowhere else. Nothing is inferred from responses, and the layers are mounted as the
 * packages return them.
 */

/** Idempotency outcomes that never reach the handler. */
export type IdempotencyOutcome = 'replayed' | 'conflict' | 'mismatch';

/** Who is told what the packages decided (src/activity.ts: the status page and the metrics). */
export interface OutcomeListener {
  /** The outbound limiter granted a token (`onGranted`: `acquire` or `tryAcquire`). */
  outboundGranted(): void;
  /** The outbound limiter refused (`onRefused`: no token within the wait, aborted, queue full). */
  outboundRefused(): void;
  /** An inbound limiter answered 429 (`onLimited`). */
  inboundLimited(): void;
  /** The idempotency middleware answered without running the handler. */
  idempotency(outcome: IdempotencyOutcome): void;
  /** A breaker changed state (`onStateChange`), whoever made the change. */
  breakerChanged(breaker: string, to: string): void;
}

export interface Observed {
  outbound: RateLimiter;
  inbound: readonly RateLimitMiddleware[];
  idempotency: IdempotencyMiddleware;
  breakers: readonly Breaker[];
}

/** Subscribes `listener` to the layers' events; the returned function unsubscribes. */
export function observe(layers: Observed, listener: OutcomeListener): () => void {
  const subs = [
    layers.outbound.onGranted(() => listener.outboundGranted()),
    layers.outbound.onRefused(() => listener.outboundRefused()),
    ...layers.inbound.map((m) => m.onLimited(() => listener.inboundLimited())),
    layers.idempotency.onReplayed(() => listener.idempotency('replayed')),
    layers.idempotency.onConflict(() => listener.idempotency('conflict')),
    layers.idempotency.onMismatch(() => listener.idempotency('mismatch')),
    ...layers.breakers.map((b) => b.onStateChange(({ to }) => listener.breakerChanged(b.name, to))),
  ];
  return () => {
    for (const s of subs) s.dispose();
  };
}
