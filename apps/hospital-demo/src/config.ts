import { randomBytes } from 'node:crypto';
import {
  ConfigError,
  digestKey,
  type Env,
  envReader,
  MIN_KEY_LENGTH,
  parseApiKeys,
  parseTrustProxy,
} from './config-env';

import type { Config, RegistryMode } from './config-types';

export { type ApiKeyEntry, ConfigError, digestKey, isConfigError } from './config-env';
export type { Config, RegistryFaultConfig, RegistryMode } from './config-types';

/**
 * Reads the configuration from environment variables (see README "Configuration").
 * Throws one ConfigError listing every problem, so a operator fixes them all in one go.
 */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const { clean, int, num, url } = envReader(env, problems);
  const port = int('PORT', 3000, 0, 65535);
  const registryPort = int('REGISTRY_PORT', 3001, 0, 65535);
  const registryControlPort = int(
    'REGISTRY_CONTROL_PORT',
    registryPort === 0 ? 0 : registryPort + 1,
    0,
    65535,
  );
  const upstreamUrl = url('UPSTREAM_URL', ['http:', 'https:']);
  const redisUrl = url('REDIS_URL', ['redis:', 'rediss:']);
  const workers = int('WORKERS', 1, 1, 64);
  if (workers > 1 && !redisUrl) {
    problems.push(
      `WORKERS=${workers} needs REDIS_URL: without Redis every worker would keep its own circuit breakers, rate-limit counters and idempotency records, so ${workers} workers would let ${workers} times the failures through and could create a hospital twice. Set REDIS_URL, or WORKERS=1.`,
    );
  }

  const { apiKeys, generatedApiKey } = parseApiKeys(clean('API_KEYS'), problems);

  let generatedAdminKey: string | undefined;
  let adminKey = clean('ADMIN_API_KEY');
  if (adminKey === undefined) {
    generatedAdminKey = `adm_${randomBytes(24).toString('base64url')}`;
    adminKey = generatedAdminKey;
  } else if (adminKey.length < MIN_KEY_LENGTH) {
    problems.push(`ADMIN_API_KEY must be at least ${MIN_KEY_LENGTH} characters`);
  }

  let generatedIdempotencyKey: string | undefined;
  let idempotencyKeyText = clean('IDEMPOTENCY_ENCRYPTION_KEY');
  if (idempotencyKeyText === undefined) {
    generatedIdempotencyKey = randomBytes(32).toString('base64');
    idempotencyKeyText = generatedIdempotencyKey;
  }
  const idempotencyEncryptionKey = Buffer.from(idempotencyKeyText, 'base64');
  if (
    idempotencyEncryptionKey.length !== 32 ||
    !/^[A-Za-z0-9+/]+={0,2}$/.test(idempotencyKeyText)
  ) {
    problems.push('IDEMPOTENCY_ENCRYPTION_KEY must be 32 bytes in base64 (44 characters)');
  }

  const mode = (clean('REGISTRY_MODE') ?? 'normal') as RegistryMode;
  if (!['normal', 'hang', 'reset', 'down'].includes(mode)) {
    problems.push('REGISTRY_MODE must be one of normal, hang, reset, down');
  }

  const retryMinDelayMs = int('RETRY_MIN_DELAY_MS', 500, 0, 600_000);
  const retryMaxDelayMs = int('RETRY_MAX_DELAY_MS', 4_000, 0, 600_000);
  if (retryMaxDelayMs < retryMinDelayMs) {
    problems.push(
      `RETRY_MAX_DELAY_MS (${retryMaxDelayMs}) must not be below RETRY_MIN_DELAY_MS (${retryMinDelayMs})`,
    );
  }

  const logLevel = (clean('LOG_LEVEL') ?? 'info') as Config['logLevel'];
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    problems.push('LOG_LEVEL must be one of debug, info, warn, error');
  }

  const trustProxy = parseTrustProxy(clean('TRUST_PROXY'));
  const rawOpsPort = clean('OPS_PORT');
  const opsPort = rawOpsPort === undefined ? undefined : int('OPS_PORT', 0, 0, 65535);

  const keyPrefix = clean('KEY_PREFIX') ?? 'resil:';
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(keyPrefix)) {
    problems.push("KEY_PREFIX must be 1-64 letters, digits, '.', '_', ':' or '-'");
  }

  const config: Config = {
    host: clean('HOST') ?? '127.0.0.1',
    port,
    upstreamUrl,
    registryPort,
    registryControlPort,
    registryRateLimitPerSecond: int('REGISTRY_RATE_LIMIT', 10, 1, 100_000),
    registryFaults: Object.freeze({
      errorRate: num('REGISTRY_ERROR_RATE', 0, 0, 1),
      errorStatus: int('REGISTRY_ERROR_STATUS', 503, 400, 599),
      latencyMs: int('REGISTRY_LATENCY_MS', 0, 0, 600_000),
      mode,
    }),
    redisUrl,
    keyPrefix,
    workers,
    apiKeys,
    adminKeyDigest: digestKey(adminKey),
    generatedApiKey,
    generatedAdminKey,
    breakerFailureThreshold: int('BREAKER_FAILURE_THRESHOLD', 5, 1, 10_000),
    breakerResetTimeoutMs: int('BREAKER_RESET_TIMEOUT_MS', 10_000, 1, 3_600_000),
    retryMaxAttempts: int('RETRY_MAX_ATTEMPTS', 3, 1, 20),
    retryMinDelayMs,
    retryMaxDelayMs,
    retryMaxRetryAfterMs: int('RETRY_MAX_RETRY_AFTER_MS', 60_000, 0, 3_600_000),
    upstreamTimeoutMs: int('UPSTREAM_TIMEOUT_MS', 2_000, 1, 600_000),
    outboundRateLimit: int('OUTBOUND_RATE_LIMIT', 10, 1, 100_000),
    outboundWindowMs: int('OUTBOUND_WINDOW_MS', 1_000, 1, 3_600_000),
    outboundMaxWaitMs: int('OUTBOUND_MAX_WAIT_MS', 10_000, 0, 600_000),
    inboundRateLimit: int('INBOUND_RATE_LIMIT', 120, 1, 1_000_000),
    inboundWindowMs: int('INBOUND_WINDOW_MS', 60_000, 1_000, 3_600_000),
    shutdownTimeoutMs: int('SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    idempotencyLeaseMs: int('IDEMPOTENCY_LEASE_MS', 30_000, 100, 3_600_000),
    idempotencyEncryptionKey,
    generatedIdempotencyKey,
    logLevel,
    trustProxy,
    opsPort,
    opsHost: clean('OPS_HOST') ?? '127.0.0.1',
    opsRateLimit: int('OPS_RATE_LIMIT', 240, 1, 1_000_000),
    opsWindowMs: int('OPS_WINDOW_MS', 60_000, 1_000, 3_600_000),
    readyCacheMs: int('READY_CACHE_MS', 5_000, 0, 3_600_000),
    statusRefreshMs: int('STATUS_REFRESH_MS', 1_000, 0, 3_600_000),
  };
  if (config.inboundWindowMs % 1000 !== 0)
    problems.push('INBOUND_WINDOW_MS must be a whole number of seconds (a multiple of 1000)');
  if (config.opsWindowMs % 1000 !== 0)
    problems.push('OPS_WINDOW_MS must be a whole number of seconds (a multiple of 1000)');
  if (opsPort !== undefined && opsPort !== 0 && opsPort === port)
    problems.push('OPS_PORT must differ from PORT (it moves the operator endpoints off it)');
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}
