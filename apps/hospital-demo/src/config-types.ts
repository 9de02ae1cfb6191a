import type { ApiKeyEntry } from './config-env';

// The service's configuration, as `loadConfig()` (config.ts) resolves it.

/** Fault injection of the mock registry (see src/registry). */
export interface RegistryFaultConfig {
  /** Share of API requests answered with `errorStatus`, 0..1. @default 0 */
  readonly errorRate: number;
  /** @default 503 */
  readonly errorStatus: number;
  /** Added to every API request. @default 0 */
  readonly latencyMs: number;
  /** `normal`, `hang` (never answers), `reset` (drops the connection), `down` (refuses). */
  readonly mode: RegistryMode;
}

export type RegistryMode = 'normal' | 'hang' | 'reset' | 'down';

/** The service's whole configuration: resolved once, validated, frozen. */
export interface Config {
  readonly host: string;
  readonly port: number;
  /** The hospital registry; absent: server.ts starts the mock registry in-process. */
  readonly upstreamUrl: string | undefined;
  readonly registryPort: number;
  readonly registryControlPort: number;
  readonly registryRateLimitPerSecond: number;
  readonly registryFaults: RegistryFaultConfig;
  readonly redisUrl: string | undefined;
  /** Prefix of every Redis key this service writes. @default 'resil:' */
  readonly keyPrefix: string;
  readonly workers: number;
  readonly apiKeys: readonly ApiKeyEntry[];
  readonly adminKeyDigest: Buffer;
  /** Set when no API key was configured: a development key, printed at start. */
  readonly generatedApiKey: string | undefined;
  /** Set when no admin key was configured: printed at start. */
  readonly generatedAdminKey: string | undefined;
  readonly breakerFailureThreshold: number;
  readonly breakerResetTimeoutMs: number;
  readonly retryMaxAttempts: number;
  readonly retryMinDelayMs: number;
  readonly retryMaxDelayMs: number;
  readonly retryMaxRetryAfterMs: number;
  readonly upstreamTimeoutMs: number;
  /** Outbound calls to the registry per `outboundWindowMs`, shared by every worker. */
  readonly outboundRateLimit: number;
  readonly outboundWindowMs: number;
  /** How long an outbound call may wait for a token before giving up. */
  readonly outboundMaxWaitMs: number;
  /** Inbound requests per client per `inboundWindowMs`. */
  readonly inboundRateLimit: number;
  readonly inboundWindowMs: number;
  readonly shutdownTimeoutMs: number;
  /** How long a request's claim on an Idempotency-Key lasts if its worker dies. @default 30000 */
  readonly idempotencyLeaseMs: number;
  /** AES-256-GCM key of the idempotency records at rest (IDEMPOTENCY_ENCRYPTION_KEY, base64, 32 bytes). */
  readonly idempotencyEncryptionKey: Buffer;
  /** Set when IDEMPOTENCY_ENCRYPTION_KEY was not given: generated for this run (base64). */
  readonly generatedIdempotencyKey: string | undefined;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Express `trust proxy`: `false` (default), `true`, a hop count or a list of addresses. */
  readonly trustProxy: boolean | number | string;
  /**
   * Serve the operator endpoints (`/readyz`, `/metrics`, `/status`, `/status.json`) on their own
   * listener at this port, and not on `port`. Unset: they share the public port.
   */
  readonly opsPort: number | undefined;
  /** Where the operator listener binds. @default '127.0.0.1' */
  readonly opsHost: string;
  /** Requests per client IP per `opsWindowMs` on the operator endpoints. @default 240 */
  readonly opsRateLimit: number;
  /** @default 60000 */
  readonly opsWindowMs: number;
  /** How long a readiness answer is reused before the registry is probed again. @default 5000 */
  readonly readyCacheMs: number;
  /** Shortest interval between two reads of the shared breaker state for /metrics and /status.json. @default 1000 */
  readonly statusRefreshMs: number;
}
