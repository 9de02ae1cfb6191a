import { isUpstreamHttpError, isUpstreamNetworkError } from './errors';
import type {
  Endpoint,
  HospitalApiClient,
  HospitalApiClientOptions,
  NewHospital,
  OnBehalfOf,
  UpstreamHospital,
} from './hospital-api-types';
import {
  type Breaker,
  type CallContext,
  circuitBreaker,
  compose,
  type RetryEvent,
  retryable,
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
