import type { Cluster, Redis } from 'ioredis';
import { isUpstreamHttpError, isUpstreamNetworkError } from './errors';
import {
  type Breaker,
  type CallContext,
  circuitBreaker,
  compose,
  type RateLimiter,
  type RetryEvent,
  retryable,
  type SafeLogger,
  timeout,
} from './resil';
import { traced } from './telemetry/traced';
import {
  type Attempt,
  outboundAttempt,
  type RegistryRequest,
  reasonOf,
  sendRequest,
} from './upstream-call';

export { reasonOf };

/** What the service sends to the registry. */
export interface NewHospital {
  name: string;
  address: string;
  contactEmail?: string;
  contactPhone?: string;
}

/** What the registry answers. */
export interface UpstreamHospital extends NewHospital {
  id: string;
  status: 'pending' | 'active';
  /** The tenant the registry stored at create (sent as `X-Hospital-Owner`). */
  owner?: string;
}

/** Who a call acts for: sent to the registry as `X-Hospital-Owner` (see the README, tenancy). */
export interface OnBehalfOf {
  owner: string;
}

export type Endpoint = 'create' | 'activate' | 'get' | 'delete';

export interface HospitalApiClientOptions {
  /** Base URL of the hospital registry. */
  baseUrl: string;
  /** Time limit of each attempt's HTTP request: @resil/retry's `timeout()`, aborting `fetch`. */
  timeoutMs: number;
  /** The outbound limiter shared by every endpoint (and, with Redis, by every worker). */
  limiter: RateLimiter;
  /** How long one attempt may wait for an outbound token. */
  limiterMaxWaitMs: number;
  breaker: {
    failureThreshold: number;
    resetTimeoutMs: number;
    redis?: Redis | Cluster;
    keyPrefix?: string;
  };
  retry: { maxAttempts: number; minDelayMs: number; maxDelayMs: number; maxRetryAfterMs: number };
  logger: SafeLogger;
  /** Breaker names are `${name}.create` etc. @default 'hospital-api' */
  name?: string;
  /** Called before each retry's wait (metrics, status page). */
  onRetry?: (endpoint: Endpoint, event: RetryEvent) => void;
  /** Called after each HTTP attempt (metrics). */
  onCall?: (endpoint: Endpoint, outcome: string) => void;
}

export interface HospitalApiClient {
  create(
    input: NewHospital,
    options: OnBehalfOf & { idempotencyKey: string },
  ): Promise<UpstreamHospital>;
  activate(
    id: string,
    options: OnBehalfOf & { idempotencyKey?: string },
  ): Promise<UpstreamHospital>;
  get(id: string, options: OnBehalfOf): Promise<UpstreamHospital>;
  delete(id: string, options: OnBehalfOf): Promise<void>;
  /** One breaker per endpoint, in the order create, activate, get, delete. */
  readonly breakers: readonly Breaker[];
}

/** A failure of the registry, for the breaker: network errors and 5xx (not 4xx, not our limiter). */
export function isRegistryFailure(err: unknown): boolean {
  if (isUpstreamNetworkError(err)) return true;
  return isUpstreamHttpError(err) && err.status >= 500;
}

/**
 * The registry client of the seeds, in TypeScript: each outbound method has its own circuit
 * breaker (outermost: fails fast for every worker once the registry is down), retry with
 * backoff and Retry-After inside it, then the outbound rate limiter and a per-call timeout on
 * each attempt. The class is defined per client so that the decorators get this client's
 * settings (thresholds from the environment, Redis) and each app gets its own breakers.
 * Outermost of all, each method is one span (`hospital-api.create`): the breaker's and retry's
 * span events and retry's `http.request.resend_count` land on it, each HTTP attempt is a child.
 */
export function createHospitalApiClient(options: HospitalApiClientOptions): HospitalApiClient {
  const o = options;
  const prefix = o.name ?? 'hospital-api';
  const baseUrl = o.baseUrl.replace(/\/+$/, '');

  const breaker = (endpoint: Endpoint) =>
    circuitBreaker({
      name: `${prefix}.${endpoint}`,
      failureThreshold: o.breaker.failureThreshold,
      resetTimeoutMs: o.breaker.resetTimeoutMs,
      isFailure: isRegistryFailure,
      logger: o.logger,
      ...(o.breaker.redis ? { redis: o.breaker.redis } : {}),
      ...(o.breaker.keyPrefix ? { keyPrefix: o.breaker.keyPrefix } : {}),
    });

  const retry = (endpoint: Endpoint) =>
    retryable({
      maxAttempts: o.retry.maxAttempts,
      minDelayMs: o.retry.minDelayMs,
      maxDelayMs: o.retry.maxDelayMs,
      maxRetryAfterMs: o.retry.maxRetryAfterMs,
      name: `${prefix}.${endpoint}`,
      // The client logs each retry itself (with the endpoint), so the package's own line is off.
      logger: false,
      onRetry: (event: RetryEvent) => {
        o.logger.info('retrying hospital registry call', {
          endpoint,
          attempt: event.attempt,
          delayMs: event.delayMs,
          reason: reasonOf(event.error),
        });
        o.onRetry?.(endpoint, event);
      },
    });

  const withToken = outboundAttempt({
    baseUrl,
    limiter: o.limiter,
    limiterMaxWaitMs: o.limiterMaxWaitMs,
    onCall: o.onCall,
  });
  const send = sendRequest(baseUrl);
  // Inside each method's breaker: retry around (span + outbound token) around timeout around
  // fetch. Every layer passes the call context on; fetch gets its signal, so a time-out, the
  // retry giving up or the caller's abort closes the connection.
  const attempts = (endpoint: Endpoint): Attempt =>
    compose<Attempt>(
      retry(endpoint),
      withToken,
      timeout(o.timeoutMs, { name: `${prefix}.${endpoint}` }),
    )(send);
  const policies = {
    create: attempts('create'),
    activate: attempts('activate'),
    get: attempts('get'),
    delete: attempts('delete'),
  };
  /** One call through the endpoint's policies, with the breaker's context when it gave one. */
  const call = (req: RegistryRequest, ctx: CallContext | undefined) =>
    ctx ? policies[req.endpoint](req, ctx) : policies[req.endpoint](req);
  const id = (value: string) => encodeURIComponent(value);

  class RegistryClient implements Omit<HospitalApiClient, 'breakers'> {
    @traced(`${prefix}.create`)
    @breaker('create')
    async create(
      input: NewHospital,
      opts: OnBehalfOf & { idempotencyKey: string },
      ctx?: CallContext,
    ): Promise<UpstreamHospital> {
      const req: RegistryRequest = {
        endpoint: 'create',
        method: 'POST',
        path: '/v1/hospitals',
        owner: opts.owner,
        body: input,
        idempotencyKey: opts.idempotencyKey,
      };
      return (await call(req, ctx)) as UpstreamHospital;
    }

    @traced(`${prefix}.activate`)
    @breaker('activate')
    async activate(
      hospitalId: string,
      opts: OnBehalfOf & { idempotencyKey?: string },
      ctx?: CallContext,
    ): Promise<UpstreamHospital> {
      const req: RegistryRequest = {
        endpoint: 'activate',
        method: 'POST',
        path: `/v1/hospitals/${id(hospitalId)}/activate`,
        owner: opts.owner,
        ...(opts.idempotencyKey ? { idempotencyKey: opts.idempotencyKey } : {}),
      };
      return (await call(req, ctx)) as UpstreamHospital;
    }

    @traced(`${prefix}.get`)
    @breaker('get')
    async get(hospitalId: string, opts: OnBehalfOf, ctx?: CallContext): Promise<UpstreamHospital> {
      const req: RegistryRequest = {
        endpoint: 'get',
        method: 'GET',
        path: `/v1/hospitals/${id(hospitalId)}`,
        owner: opts.owner,
      };
      return (await call(req, ctx)) as UpstreamHospital;
    }

    @traced(`${prefix}.delete`)
    @breaker('delete')
    async delete(hospitalId: string, opts: OnBehalfOf, ctx?: CallContext): Promise<void> {
      const req: RegistryRequest = {
        endpoint: 'delete',
        method: 'DELETE',
        path: `/v1/hospitals/${id(hospitalId)}`,
        owner: opts.owner,
      };
      await call(req, ctx);
    }
  }

  const proto = RegistryClient.prototype as unknown as Record<Endpoint, { breaker: Breaker }>;
  const breakers = Object.freeze(
    (['create', 'activate', 'get', 'delete'] as const).map((m) => proto[m].breaker),
  );
  const client = new RegistryClient();
  return Object.assign(client, { breakers });
}
