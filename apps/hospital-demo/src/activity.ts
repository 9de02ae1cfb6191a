import type { SecondRing } from './fleet/ring';
import type { Endpoint } from './hospital-api-types';
import type { Metrics } from './metrics';
import type { OutcomeListener } from './observe';

/** A retry, as the status page lists it. */
export interface RecentRetry {
  at: number;
  endpoint: Endpoint;
  attempt: number;
  delayMs: number;
  reason: string;
}

/** What this process saw the layers do: counted for the status page and the metrics. */
export interface Activity extends OutcomeListener {
  retried(endpoint: Endpoint, attempt: number, delayMs: number, reason: string): void;
  /** Outbound tokens granted in the last `windowMs`. */
  outboundUsed(windowMs: number): number;
  readonly outboundRefusals: number;
  readonly inboundRejections: number;
  readonly retries: { total: number; recent: readonly RecentRetry[] };
  /** The layers whose shared store is away (they run on their in-memory fallback). */
  readonly degraded: ReadonlySet<string>;
}

const KEPT_GRANTS = 10_000;
const KEPT_RETRIES = 20;

/** Counts what the layers did into the metrics and into `ring` (the status page's last 10 minutes). */
export function createActivity(metrics: Metrics, now: () => number, ring: SecondRing): Activity {
  const acquiredAt: number[] = [];
  const degraded = new Set<string>();
  const recent: RecentRetry[] = [];
  let retriesTotal = 0;
  let outboundRefused = 0;
  let inboundRejected = 0;
  return {
    outboundGranted() {
      metrics.outboundGrants.inc();
      ring.count('grants');
      acquiredAt.push(now());
      if (acquiredAt.length > KEPT_GRANTS) acquiredAt.splice(0, acquiredAt.length - KEPT_GRANTS);
    },
    outboundRefused() {
      outboundRefused++;
      metrics.rateLimitRejections.inc({ direction: 'outbound' });
    },
    inboundLimited() {
      inboundRejected++;
      metrics.rateLimitRejections.inc({ direction: 'inbound' });
      ring.count('inbound429');
    },
    idempotency(outcome) {
      metrics.idempotency.inc({ outcome });
      if (outcome !== 'mismatch') ring.count(outcome);
    },
    breakerChanged(breaker, to) {
      // The log line ("circuit breaker <name> state changed to <to>") is @resil/breaker's own.
      metrics.breakerTransitions.inc({ breaker, to });
      ring.breakerState(breaker, to);
    },
    breakerCall(breaker, outcome) {
      metrics.breakerCalls.inc({ breaker, outcome });
      if (outcome !== 'rejected') ring.breakerCall(breaker, outcome === 'failure');
    },
    storeDegraded(layer, isDegraded) {
      if (isDegraded) degraded.add(layer);
      else degraded.delete(layer);
    },
    retried(endpoint, attempt, delayMs, reason) {
      retriesTotal++;
      metrics.retries.inc({ endpoint, reason });
      ring.retry(reason);
      recent.unshift({ at: now(), endpoint, attempt, delayMs: Math.round(delayMs), reason });
      recent.length = Math.min(recent.length, KEPT_RETRIES);
    },
    outboundUsed(windowMs) {
      const t = now();
      return acquiredAt.filter((at) => t - at < windowMs).length;
    },
    get outboundRefusals() {
      return outboundRefused;
    },
    get inboundRejections() {
      return inboundRejected;
    },
    get degraded() {
      return degraded;
    },
    get retries() {
      return { total: retriesTotal, recent };
    },
  };
}
