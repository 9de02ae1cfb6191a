import { createHash } from 'node:crypto';
import {
  type Closeable,
  CORE_ERROR_CODES,
  checkOptions,
  clientStatus,
  createTelemetry,
  Deadlines,
  type Event,
  EventEmitter,
  enumOption,
  functionOption,
  integerOption,
  isNodeRedisClient,
  type Logger,
  leaseClient,
  makeCloseable,
  OptionRangeError,
  onClientEnd,
  onClientReady,
  problem,
  type RedisClient,
  resolveLogger,
  sendProblem,
  stringOption,
} from '@resil/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { redisOption } from './internal/redis-option';
import { ipKey } from './ip';
import type {
  AllowedEvent,
  LimitedEvent,
  StoreDegradedEvent,
  StoreErrorEvent,
  StoreRestoredEvent,
} from './types';

export interface RateLimitOptions {
  /** Requests (or cost units) allowed per window. @default 100 */
  points?: number;
  /** The window in ms, whole seconds (rate-limiter-flexible counts in seconds). @default 60000 */
  durationMs?: number;
  /** The client key. @default the client IP (`req.ip`, so Express's `trust proxy` decides), IPv6 grouped by `ipv6Subnet` */
  keyBy?: (req: Request) => string;
  /** Prefix length that groups IPv6 clients. @default 56 */
  ipv6Subnet?: number;
  /** What a request costs. @default 1 */
  cost?: (req: Request) => number;
  /** Requests for which no limit applies (health checks). @default none */
  skip?: (req: Request) => boolean;
  /**
   * Shares the counters through Redis: an ioredis `Redis` or `Cluster`, a node-redis client or
   * cluster (`createClient()`, `createCluster()`; connected by you), or a URL (an ioredis client
   * from core's shared pool). @default memory
   */
  redis?: RedisClient | string;
  /** @default 'resil:' */
  keyPrefix?: string;
  /**
   * Policy name in the RateLimit headers, and part of the Redis key with `points` and
   * `durationMs`: limiters that agree on all three share one budget. @default 'default'
   */
  policyName?: string;
  /** Send RateLimit / RateLimit-Policy on allowed responses too. @default true */
  headers?: boolean;
  /** Redis failing: 'insurance' limits in memory, 'allow' lets requests through, 'deny' answers 503. @default 'insurance' */
  onStoreError?: 'insurance' | 'allow' | 'deny';
  /** Processes sharing the limit: the in-memory insurance allows points / expectedWorkers. @default 1 */
  expectedWorkers?: number;
  /** Longest wait for Redis before the store counts as failing. @default 200 */
  storeTimeoutMs?: number;
  /** Block a key in this process's memory (no Redis call) once it has consumed this many points in a window. @default off */
  inMemoryBlockOnConsumed?: number;
  /** Where the proxy warning and store outages are logged, or false. @default core `codeLogger('resil.ratelimit')` */
  logger?: Logger | false;
}

/** The middleware `rateLimit()` returns: a request handler with its events and `close()`. */
export interface RateLimitMiddleware extends RequestHandler, Closeable {
  /** A request was let through (`remaining`: units left in its window). */
  readonly onAllowed: Event<AllowedEvent>;
  /** A request was answered 429. */
  readonly onLimited: Event<LimitedEvent>;
  /** The store failed for a request; `insurance`: the in-memory insurance decided it. */
  readonly onStoreError: Event<StoreErrorEvent>;
  /** The store became unusable (once per outage). */
  readonly onDegraded: Event<StoreDegradedEvent>;
  /** The store answers again after an outage. */
  readonly onRestored: Event<StoreRestoredEvent>;
  /**
   * Releases the Redis client leased from a URL (the last lease quits it); a client you passed
   * stays yours. Idempotent; also `await using`.
   */
  close(): Promise<void>;
}

const KNOWN = new Set([
  'points',
  'durationMs',
  'keyBy',
  'ipv6Subnet',
  'cost',
  'skip',
  'redis',
  'keyPrefix',
  'policyName',
  'headers',
  'onStoreError',
  'expectedWorkers',
  'storeTimeoutMs',
  'inMemoryBlockOnConsumed',
  'logger',
]);

const OWNER = 'rateLimit';
const STORE_ERRORS = ['insurance', 'allow', 'deny'] as const;

/**
 * The insurance limiter, which tells when rate-limiter-flexible hands a request to it (the store
 * failed or its client is not ready); `decide` is this package's own call after a time-out.
 */
class Insurance extends RateLimiterMemory {
  readonly #onTakeover: () => void;
  constructor(opts: ConstructorParameters<typeof RateLimiterMemory>[0], onTakeover: () => void) {
    super(opts);
    this.#onTakeover = onTakeover;
  }
  override consume(
    key: string | number,
    points?: number,
    options?: Record<string, unknown>,
  ): Promise<RateLimiterRes> {
    this.#onTakeover();
    return super.consume(key, points, options);
  }
  decide(key: string, points: number): Promise<RateLimiterRes> {
    return super.consume(key, points);
  }
}

/**
 * Inbound rate limit middleware (Express 4 and 5) on rate-limiter-flexible: a fixed window per
 * client, counted in Redis by every worker (one atomic script per request), with an in-memory
 * insurance limiter while Redis is down or slow. Over the limit: 429 problem+json with
 * Retry-After and the IETF RateLimit / RateLimit-Policy headers.
 */
export function rateLimit(options: RateLimitOptions = {}): RateLimitMiddleware {
  const o = checkOptions(OWNER, options, KNOWN);
  const int = (name: string, v: unknown, min: number, fallback?: number, max?: number) =>
    integerOption(OWNER, name, v, {
      min,
      ...(fallback === undefined ? {} : { default: fallback }),
      ...(max === undefined ? {} : { max }),
    });
  const points = int('points', o.points, 1, 100);
  const durationMs = int('durationMs', o.durationMs, 1000, 60_000);
  if (durationMs % 1000 !== 0)
    throw new OptionRangeError(
      'durationMs',
      `${OWNER}: durationMs must be a whole number of seconds (a multiple of 1000)`,
    );
  const ipv6Subnet = int('ipv6Subnet', o.ipv6Subnet, 1, 56, 128);
  const expectedWorkers = int('expectedWorkers', o.expectedWorkers, 1, 1);
  const storeTimeoutMs = int('storeTimeoutMs', o.storeTimeoutMs, 1, 200);
  const onStoreError = enumOption(OWNER, 'onStoreError', o.onStoreError, STORE_ERRORS, 'insurance');
  const keyByOption = functionOption<(req: Request) => string>(OWNER, 'keyBy', o.keyBy);
  const costOf = functionOption<(req: Request) => number>(OWNER, 'cost', o.cost);
  const skip = functionOption<(req: Request) => boolean>(OWNER, 'skip', o.skip);
  const redis = redisOption(OWNER, o.redis);
  const policy = stringOption(OWNER, 'policyName', o.policyName, {
    default: 'default',
    pattern: /^[a-z*][a-z0-9_\-.*]*$/,
    describe: 'a lowercase token (a structured-field key)',
  });
  const sendHeaders = o.headers ?? true;
  const keyPrefix = stringOption(OWNER, 'keyPrefix', o.keyPrefix, { default: 'resil:' });
  const logger = resolveLogger(OWNER, 'resil.ratelimit', o.logger);
  const block =
    o.inMemoryBlockOnConsumed === undefined
      ? undefined
      : int('inMemoryBlockOnConsumed', o.inMemoryBlockOnConsumed, points);
  const duration = durationMs / 1000;
  const lease = redis === undefined ? undefined : leaseClient(redis);
  const client: RedisClient | undefined = lease?.client;

  const telemetry = createTelemetry({
    strategy: 'ratelimit',
    pipeline: policy,
    scope: '@resil/ratelimit',
  });
  const allowedEvents = new EventEmitter<AllowedEvent>();
  const limitedEvents = new EventEmitter<LimitedEvent>();
  const storeErrorEvents = new EventEmitter<StoreErrorEvent>();
  const degradedEvents = new EventEmitter<StoreDegradedEvent>();
  const restoredEvents = new EventEmitter<StoreRestoredEvent>();

  let storeDown = false;
  let downSince = 0;
  const markStore = (down: boolean, reason: StoreDegradedEvent['reason'] = 'failed') => {
    if (down === storeDown) return;
    storeDown = down;
    if (down) {
      downSince = Date.now();
      logger.warn(
        `rate limit: store unavailable, ${onStoreError === 'insurance' ? 'limiting in this process' : onStoreError === 'allow' ? 'allowing requests' : 'refusing requests'}`,
        { event: 'store-degraded', policy, reason },
      );
      if (degradedEvents.size > 0) degradedEvents.emit({ name: policy, reason });
      telemetry.event('store-degraded', { severity: 'warning' });
    } else {
      const downMs = Math.max(0, Date.now() - downSince);
      logger.info('rate limit: store available again', { event: 'store-restored', policy, downMs });
      if (restoredEvents.size > 0) restoredEvents.emit({ name: policy, downMs });
      telemetry.event('store-restored');
    }
  };
  /** One request the store failed for (the code says how), decided by the insurance or not. */
  const storeError = (code: string, insurance: boolean) => {
    if (storeErrorEvents.size > 0) storeErrorEvents.emit({ policy, code, insurance });
    telemetry.event('store-error', { severity: 'warning' });
  };
  const failureCode = () =>
    client && clientStatus(client) === 'ready'
      ? CORE_ERROR_CODES.REDIS_FAILED
      : CORE_ERROR_CODES.REDIS_UNAVAILABLE;

  // bumped each time rate-limiter-flexible hands a request to the insurance
  let takeovers = 0;
  const insurance = new Insurance(
    { points: Math.max(1, Math.floor(points / expectedWorkers)), duration, keyPrefix: 'insurance' },
    () => {
      takeovers++;
      const code = failureCode();
      markStore(true, code === CORE_ERROR_CODES.REDIS_FAILED ? 'failed' : 'unavailable');
      storeError(code, true);
    },
  );
  const store = client
    ? new RateLimiterRedis({
        storeClient: client,
        points,
        duration,
        // one budget per limiter: the key names the policy, its quota and its window, so two
        // limiters of one app never count in each other's budget unless all three agree
        keyPrefix: `${keyPrefix}ratelimit:in:${policy}:q${points}w${duration}`,
        rejectIfRedisNotReady: true,
        // node-redis (v4+): rate-limiter-flexible's own route for it, `eval(lua, { keys, arguments })`
        // (its default, `defineCommand`, is ioredis's)
        useRedisPackage: isNodeRedisClient(client),
        ...(onStoreError === 'insurance' ? { insuranceLimiter: insurance } : {}),
        ...(block ? { inMemoryBlockOnConsumed: block, inMemoryBlockDuration: duration } : {}),
      })
    : new RateLimiterMemory({
        points,
        duration,
        ...(block ? { inMemoryBlockOnConsumed: block, inMemoryBlockDuration: duration } : {}),
      });

  let warnedProxy = false;
  // Recent clients' hashed keys: a client's key is hashed once, not on every request.
  const hashed = new Map<string, string>();
  const keyBy = keyByOption ?? ((req: Request) => ipKey(req.ip, ipv6Subnet));

  /** Decided (`rejected`: over the limit), or the code of a store failure nobody decided. */
  type Outcome = { r: RateLimiterRes; rejected: boolean } | string;
  // Until the client's first connection is made, a request waits for it (bounded by
  // storeTimeoutMs) instead of going to the insurance: a worker that just started counts in Redis.
  let firstConnect: Promise<void> | undefined;
  const waitFirstConnect = (client: RedisClient): Promise<void> | undefined => {
    const s = clientStatus(client);
    if (s !== 'wait' && s !== 'connecting' && s !== 'connect') return undefined;
    if (!firstConnect) {
      firstConnect = new Promise<void>((resolve) => {
        const done = () => {
          offReady();
          offEnd();
          resolve();
        };
        const offReady = onClientReady(client, done);
        const offEnd = onClientEnd(client, done);
        if (s === 'wait') (client as { connect?: () => Promise<void> }).connect?.().catch(done);
      });
    }
    return firstConnect;
  };

  const deadlines = new Deadlines(storeTimeoutMs);
  const consume = async (key: string, cost: number): Promise<Outcome> => {
    const before = takeovers;
    try {
      const first = client ? waitFirstConnect(client) : undefined;
      if (first) await deadlines.race(first, storeTimeoutMs);
      // a memory store answers at once: no deadline to race
      const r = client
        ? await deadlines.race(store.consume(key, cost), storeTimeoutMs)
        : await store.consume(key, cost);
      if (r === 'timeout') {
        // A slow (paused) Redis: decide now, as rate-limiter-flexible would on an error.
        markStore(true, 'timeout');
        if (onStoreError !== 'insurance') return CORE_ERROR_CODES.REDIS_TIMEOUT;
        storeError(CORE_ERROR_CODES.REDIS_TIMEOUT, true);
        return { r: await insurance.decide(key, cost), rejected: false };
      }
      if (storeDown && takeovers === before && client && clientStatus(client) === 'ready')
        markStore(false);
      return { r, rejected: false };
    } catch (e) {
      // Over the limit (from Redis, the insurance or the in-memory block): never a store error.
      if (e instanceof RateLimiterRes) return { r: e, rejected: true };
      const code = failureCode();
      markStore(true, code === CORE_ERROR_CODES.REDIS_FAILED ? 'failed' : 'unavailable');
      return code;
    }
  };

  const setHeaders = (res: Response, r: RateLimiterRes) => {
    const resetS = Math.max(0, Math.ceil(r.msBeforeNext / 1000));
    res.setHeader('RateLimit-Policy', `"${policy}";q=${points};w=${duration}`);
    res.setHeader('RateLimit', `"${policy}";r=${Math.max(0, r.remainingPoints)};t=${resetS}`);
  };

  const middleware = async function resilRateLimit(
    req: Request,
    res: Response,
    next: NextFunction,
  ) {
    try {
      if (skip?.(req)) return next();
      if (
        !warnedProxy &&
        req.headers['x-forwarded-for'] !== undefined &&
        !req.app?.get?.('trust proxy')
      ) {
        warnedProxy = true;
        logger.warn(
          "rate limit: requests carry X-Forwarded-For but Express 'trust proxy' is not set; clients are keyed by the connecting address (set 'trust proxy' to your proxies to key by client)",
          { event: 'trust-proxy-unset', policy },
        );
      }
      const raw = keyBy(req);
      if (typeof raw !== 'string') throw new TypeError('rateLimit: keyBy must return a string');
      // Keys are hashed: client addresses and user ids never appear in Redis.
      let key = hashed.get(raw);
      if (key === undefined) {
        key = createHash('sha256').update(raw).digest('base64url').slice(0, 22);
        if (hashed.size >= 10_000) hashed.clear();
        hashed.set(raw, key);
      }
      const cost = costOf ? costOf(req) : 1;
      if (!Number.isInteger(cost) || cost < 0)
        throw new RangeError('rateLimit: cost must return an integer >= 0');
      if (cost === 0) return next();
      const outcome = await consume(key, cost);
      if (typeof outcome === 'string') {
        storeError(outcome, false);
        if (onStoreError === 'deny') {
          sendProblem(
            res,
            problem({
              slug: 'rate-limit-unavailable',
              status: 503,
              title: 'Service Unavailable',
              detail: 'The rate limit could not be checked; retry shortly.',
            }),
            { 'Retry-After': '1' },
          );
          return;
        }
        return next(); // 'allow' (or an insurance failure: never reject on our own fault)
      }
      const { r, rejected } = outcome;
      if (rejected) {
        setHeaders(res, r);
        const retryS = Math.max(1, Math.ceil(r.msBeforeNext / 1000));
        if (limitedEvents.size > 0)
          limitedEvents.emit({ policy, retryAfterMs: Math.max(0, Math.ceil(r.msBeforeNext)) });
        telemetry.event('limited');
        sendProblem(
          res,
          problem({
            slug: 'rate-limited',
            status: 429,
            title: 'Too Many Requests',
            detail: `Rate limit exceeded; retry after ${retryS} s.`,
          }),
          { 'Retry-After': String(retryS) },
        );
        return;
      }
      if (sendHeaders) setHeaders(res, r);
      if (allowedEvents.size > 0)
        allowedEvents.emit({ policy, remaining: Math.max(0, r.remainingPoints) });
      telemetry.event('allowed');
      next();
    } catch (err) {
      next(err);
    }
  };
  const withEvents = Object.assign(middleware, {
    onAllowed: allowedEvents.event,
    onLimited: limitedEvents.event,
    onStoreError: storeErrorEvents.event,
    onDegraded: degradedEvents.event,
    onRestored: restoredEvents.event,
  });
  return makeCloseable(withEvents, async () => {
    for (const e of [
      allowedEvents,
      limitedEvents,
      storeErrorEvents,
      degradedEvents,
      restoredEvents,
    ])
      e.clear();
    await lease?.release();
  }) as RateLimitMiddleware;
}
