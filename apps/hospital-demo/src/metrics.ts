import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { BreakerState } from './resil';

export const BREAKER_STATES: readonly BreakerState[] = ['closed', 'open', 'halfOpen'];

/** Every metric the app exports on /metrics, on a registry of its own (not prom-client's global). */
export interface Metrics {
  readonly registry: Registry;
  readonly breakerState: Gauge<'breaker' | 'state'>;
  readonly breakerTransitions: Counter<'breaker' | 'to'>;
  readonly retries: Counter<'endpoint' | 'reason'>;
  readonly rateLimitRejections: Counter<'direction'>;
  readonly idempotency: Counter<'outcome'>;
  readonly upstreamCalls: Counter<'endpoint' | 'outcome'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly breakerCalls: Counter<'breaker' | 'outcome'>;
  readonly outboundGrants: Counter;
  readonly outboundLimit: Gauge;
  readonly outboundUtilisation: Gauge;
  readonly redisDegraded: Gauge;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    breakerState: new Gauge({
      name: 'hospital_demo_breaker_state',
      help: 'Circuit breaker state: 1 for the current state of each breaker, 0 for the others',
      labelNames: ['breaker', 'state'],
      registers,
    }),
    breakerTransitions: new Counter({
      name: 'hospital_demo_breaker_transitions_total',
      help: 'Circuit breaker state changes seen by this process, by breaker and new state',
      labelNames: ['breaker', 'to'],
      registers,
    }),
    retries: new Counter({
      name: 'hospital_demo_retries_total',
      help: 'Retries of outbound calls to the hospital registry, by endpoint and reason',
      labelNames: ['endpoint', 'reason'],
      registers,
    }),
    rateLimitRejections: new Counter({
      name: 'hospital_demo_rate_limit_rejections_total',
      help: 'Requests refused by a rate limit: inbound (429 to our clients) or outbound (no token in time)',
      labelNames: ['direction'],
      registers,
    }),
    idempotency: new Counter({
      name: 'hospital_demo_idempotency_total',
      help: 'Idempotency-Key outcomes: executed, replayed, conflict (409 in progress), mismatch (422 other payload)',
      labelNames: ['outcome'],
      registers,
    }),
    upstreamCalls: new Counter({
      name: 'hospital_demo_upstream_calls_total',
      help: 'HTTP calls made to the hospital registry (each retry attempt counts), by outcome',
      labelNames: ['endpoint', 'outcome'],
      registers,
    }),
    httpDuration: new Histogram({
      name: 'hospital_demo_http_request_duration_seconds',
      help: 'Inbound request duration by method, route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    breakerCalls: new Counter({
      name: 'hospital_demo_breaker_calls_total',
      help: 'Calls through each circuit breaker by outcome: success, failure, rejected (circuit open)',
      labelNames: ['breaker', 'outcome'],
      registers,
    }),
    outboundGrants: new Counter({
      name: 'hospital_demo_outbound_grants_total',
      help: 'Tokens granted by the outbound limiter (calls allowed to the hospital registry)',
      registers,
    }),
    outboundLimit: new Gauge({
      name: 'hospital_demo_outbound_limit_per_second',
      help: 'Outbound limiter ceiling in tokens per second (OUTBOUND_RATE_LIMIT per OUTBOUND_WINDOW_MS), shared by all workers with Redis',
      registers,
    }),
    outboundUtilisation: new Gauge({
      name: 'hospital_demo_outbound_utilisation_ratio',
      help: 'Tokens this process was granted in the last window, divided by the limit (0..1)',
      registers,
    }),
    redisDegraded: new Gauge({
      name: 'hospital_demo_redis_degraded',
      help: '1 when Redis is configured but unreachable or a layer runs on its in-memory fallback, else 0',
      registers,
    }),
  };
}
