import type { RequestHandler } from 'express';
import type { Redis } from 'ioredis';
import type { Activity } from './activity';
import { ownerOf } from './auth';
import type { Config } from './config';
import { createHospitalApiClient, type HospitalApiClient, reasonOf } from './hospital-api-client';
import { BREAKER_STATES, type Metrics } from './metrics';
import { observeIdempotency, observeInbound, observeOutbound } from './observe';
import {
  createRateLimiter,
  idempotency,
  type RateLimiter,
  rateLimit,
  type SafeLogger,
} from './resil';

/** The @resil layers of one app, configured, observed and ready to mount. */
export interface Layers {
  readonly hospitalApi: HospitalApiClient;
  /** The outbound limiter shared with the registry calls (the readiness probe takes its tokens). */
  readonly outbound: RateLimiter;
  /** The inbound limit of `/hospitals` and `/admin`, per client IP. */
  readonly inbound: RequestHandler;
  /** The operator endpoints' own limit, per client IP. */
  readonly ops: RequestHandler;
  /** `Idempotency-Key` handling of `POST /hospitals`, scoped by the key's owner. */
  readonly idempotency: RequestHandler;
  /** Sets the breaker-state gauges from the breakers' current state. */
  syncBreakerGauges(): void;
  /** Stops the limiters and breakers (not the Redis client, which the caller owns). */
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

/** Builds every @resil layer the demo uses, sharing state through `redis` when there is one. */
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
  const outbound = observeOutbound(limiter, activity);

  const hospitalApi = createHospitalApiClient({
    baseUrl: o.upstreamUrl,
    timeoutMs: config.upstreamTimeoutMs,
    limiter: outbound,
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
  for (const b of hospitalApi.breakers) {
    b.on('stateChange', ({ to }: { to: string }) => {
      metrics.breakerTransitions.inc({ breaker: b.name, to });
      syncBreakerGauges();
      // The log line ("circuit breaker <name> state changed to <to>") is @resil/breaker's own.
    });
  }
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
  const idempotent = idempotency({
    scope: (req) => ownerOf(req) ?? 'anonymous',
    leaseMs: config.idempotencyLeaseMs,
    logger,
    ...shared,
  });

  return {
    hospitalApi,
    outbound,
    inbound: observeInbound(inboundLimit, activity),
    ops: observeInbound(opsLimit, activity),
    idempotency: observeIdempotency(idempotent, activity),
    syncBreakerGauges,
    async close() {
      await limiter.close();
      await Promise.all([inboundLimit, opsLimit].map((l) => l.close()));
      for (const b of hospitalApi.breakers) b.shutdown?.();
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
