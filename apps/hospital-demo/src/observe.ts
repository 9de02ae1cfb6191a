import type { Breaker, IdempotencyMiddleware, RateLimiter, RateLimitMiddleware } from './resil';

/**
 * How the demo learns what the @resil layers decided: by subscribing to their outcome events,
 * here and nowhere else. Nothing is inferred from responses, and the layers are mounted as the
 * packages return them.
 */

/** Idempotency outcomes: `executed` ran the handler, the others answered without it. */
export type IdempotencyOutcome = 'executed' | 'replayed' | 'conflict' | 'mismatch';

/** What a breaker did with a call. */
export type BreakerCallOutcome = 'success' | 'failure' | 'rejected';

/** Who is told what the packages decided (src/activity.ts: the status page and the metrics). */
export interface OutcomeListener {
  /** The outbound limiter granted a token (`onGranted`: `acquire` or `tryAcquire`). */
  outboundGranted(): void;
  /** The outbound limiter refused (`onRefused`: no token within the wait, aborted, queue full). */
  outboundRefused(): void;
  /** An inbound limiter answered 429 (`onLimited`). */
  inboundLimited(): void;
  /** The idempotency middleware ran the handler, or answered without running it. */
  idempotency(outcome: IdempotencyOutcome): void;
  /** A breaker changed state (`onStateChange`), whoever made the change. */
  breakerChanged(breaker: string, to: string): void;
  /** A breaker let a call through and it succeeded or failed, or rejected it (open). */
  breakerCall(breaker: string, outcome: BreakerCallOutcome): void;
  /** A layer's shared store went away (`onDegraded`) or came back (`onRestored`). */
  storeDegraded(layer: string, degraded: boolean): void;
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
    layers.idempotency.onExecuted(() => listener.idempotency('executed')),
    layers.idempotency.onReplayed(() => listener.idempotency('replayed')),
    layers.idempotency.onConflict(() => listener.idempotency('conflict')),
    layers.idempotency.onMismatch(() => listener.idempotency('mismatch')),
    ...layers.breakers.map((b) => b.onStateChange(({ to }) => listener.breakerChanged(b.name, to))),
    ...layers.breakers.flatMap((b) => [
      b.onSuccess(() => listener.breakerCall(b.name, 'success')),
      b.onFailure(() => listener.breakerCall(b.name, 'failure')),
      b.onRejected(() => listener.breakerCall(b.name, 'rejected')),
      b.onDegraded(() => listener.storeDegraded(b.name, true)),
      b.onRestored(() => listener.storeDegraded(b.name, false)),
    ]),
    layers.outbound.onDegraded(() => listener.storeDegraded('outbound', true)),
    layers.outbound.onRestored(() => listener.storeDegraded('outbound', false)),
  ];
  return () => {
    for (const s of subs) s.dispose();
  };
}
