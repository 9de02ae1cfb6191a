import type { Redis } from 'ioredis';
import type { Activity } from './activity';
import { ownerOf } from './auth';
import type { Config } from './config';
import { createHospitalApiClient, reasonOf } from './hospital-api-client';
import type { HospitalApiClient } from './hospital-api-types';
import { BREAKER_STATES, type Metrics } from './metrics';
import { observe } from './observe';
import {
  createRateLimiter,
  type IdempotencyMiddleware,
  idempotency,
  type RateLimiter,
  type RateLimitMiddleware,
  rateLimit,
  type SafeLogger,
} from './resil';

/** The @resil layers of one app, configured, observed and ready to mount. */
export interface Layers {
  readonly hospitalApi: HospitalApiClient;
  /** The outbound limiter shared with the registry calls (the readiness probe takes its tokens). */
  readonly outbound: RateLimiter;
  /** The inbound limit of `/hospitals` and `/admin`, per client IP. */
  readonly inbound: RateLimitMiddleware;
  /** The operator endpoints' own limit, per client IP. */
  readonly ops: RateLimitMiddleware;
  /** `POST /session`: 5 failed attempts per client IP per 15 min; successes are refunded. */
  readonly login: RateLimitMiddleware;
  /** `Idempotency-Key` handling of `POST /hospitals`, scoped by the key's owner. */
  readonly idempotency: IdempotencyMiddleware;
  /** Sets the breaker-state gauges from the breakers' current state (at each scrape). */
  syncBreakerGauges(): void;
  /** Unsubscribes, closes the limiters, the middleware and the breakers (not the caller's Redis client). */
  close(): Promise<void>;
}

export interface LayersOptions {
  config: Config;
  upstreamUrl: string;
  redis: Redis | undefined;
  logger: SafeLogger;
  metrics: Metrics;
  activity: Activity;
}

/**
 * Builds every @resil layer the demo uses, sharing state through `redis` when there is one, and
 * subscribes the activity (status page, metrics) to their events (src/observe.ts).
 */
export function wireLayers(o: LayersOptions): Layers {
  const { config, logger, metrics, activity } = o;
  const shared = o.redis ? { redis: o.redis, keyPrefix: config.keyPrefix } : {};

  const limiter = createRateLimiter({
    name: 'hospital-api',
    points: config.outboundRateLimit,
    durationMs: config.outboundWindowMs,
    // while Redis is down each worker allows its share of the registry's limit
    expectedWorkers: config.workers,
    logger,
    ...shared,
  });

  const hospitalApi = createHospitalApiClient({
    baseUrl: o.upstreamUrl,
    timeoutMs: config.upstreamTimeoutMs,
    limiter,
    limiterMaxWaitMs: config.outboundMaxWaitMs,
    breaker: {
      failureThreshold: config.breakerFailureThreshold,
      resetTimeoutMs: config.breakerResetTimeoutMs,
      ...shared,
    },
    retry: {
      maxAttempts: config.retryMaxAttempts,
      minDelayMs: config.retryMinDelayMs,
      maxDelayMs: config.retryMaxDelayMs,
      maxRetryAfterMs: config.retryMaxRetryAfterMs,
    },
    logger,
    onRetry: (endpoint, event) =>
      activity.retried(endpoint, event.attempt, event.delayMs, reasonOf(event.error)),
    onCall: (endpoint, outcome) => metrics.upstreamCalls.inc({ endpoint, outcome }),
  });

  const syncBreakerGauges = () => {
    for (const b of hospitalApi.breakers) {
      for (const s of BREAKER_STATES) {
        metrics.breakerState.set({ breaker: b.name, state: s }, b.state === s ? 1 : 0);
      }
    }
  };
  syncBreakerGauges();

  const inboundLimit = rateLimit({
    points: config.inboundRateLimit,
    durationMs: config.inboundWindowMs,
    expectedWorkers: config.workers,
    logger,
    ...shared,
  });
  const opsLimit = rateLimit({
    points: config.opsRateLimit,
    durationMs: config.opsWindowMs,
    policyName: 'ops',
    expectedWorkers: config.workers,
    logger,
    ...shared,
  });
  // Brute-force protection: only failed logins count (skipSuccessfulRequests refunds the rest).
  const loginLimit = rateLimit({
    points: 5,
    durationMs: 15 * 60_000,
    policyName: 'login',
    skipSuccessfulRequests: true,
    expectedWorkers: config.workers,
    logger,
    ...shared,
  });
  const idempotent = idempotency({
    scope: (req) => ownerOf(req) ?? 'anonymous',
    leaseMs: config.idempotencyLeaseMs,
    // records at rest are AES-256-GCM envelopes, their key names HMACs: no patient data in Redis
    encryptionKey: config.idempotencyEncryptionKey,
    logger,
    ...shared,
  });

  const unsubscribe = observe(
    {
      outbound: limiter,
      inbound: [inboundLimit, opsLimit, loginLimit],
      idempotency: idempotent,
      breakers: hospitalApi.breakers,
    },
    activity,
  );

  return {
    hospitalApi,
    outbound: limiter,
    inbound: inboundLimit,
    ops: opsLimit,
    login: loginLimit,
    idempotency: idempotent,
    syncBreakerGauges,
    async close() {
      unsubscribe();
      // Every layer is closed even when one fails; then the failures are reported together.
      const results = await Promise.allSettled([
        limiter.close(),
        inboundLimit.close(),
        opsLimit.close(),
        loginLimit.close(),
        idempotent.close(),
        ...hospitalApi.breakers.map((b) => b.close()),
      ]);
      const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
      if (failed.length > 0) throw new AggregateError(failed, 'closing the @resil layers failed');
    },
  };
}

/** A Redis client for shared state: bounded waits, one warning when it goes away. */
export function createRedisClient(url: string, logger: SafeLogger): Redis {
  const { Redis: RedisClient } = require('ioredis') as typeof import('ioredis');
  const client = new RedisClient(url, {
    connectTimeout: 2_000,
    commandTimeout: 1_000,
    maxRetriesPerRequest: 1,
    // Commands issued while reconnecting wait at most commandTimeout, then fail (bounded).
    enableOfflineQueue: true,
  });
  let down = false;
  client.on('error', (err: Error & { code?: string }) => {
    if (!down)
      logger.warn('redis unreachable: shared state falls back to memory', {
        code: err.code ?? 'unknown',
      });
    down = true;
  });
  client.on('ready', () => {
    if (down) logger.info('redis reachable again');
    down = false;
  });
  return client;
}
