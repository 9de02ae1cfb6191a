import type { Cluster, Redis } from 'ioredis';
import type { Breaker, RateLimiter, RetryEvent, SafeLogger } from './resil';

// The registry client's public types (hospital-api-client.ts builds the client).

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
