import { createHash } from 'node:crypto';
import { SafeLogger } from '@resil/safe-log';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { ipKey } from './ip';
import { integerOptions } from './options';
import { clientFor, Deadlines, isRedisLike, packageLogger, type RedisLike } from './redis-call';

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
  /** Shares the counters through Redis: an ioredis `Redis` or `Cluster`, or a URL. @default memory */
  redis?: RedisLike | string;
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
  /** Where the proxy warning and store outages are logged, or false. @default a SafeLogger('resil.ratelimit') */
  logger?: { warn(m: string, meta?: Record<string, unknown>): void } | false;
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

const int = integerOptions('rateLimit');

function problem(res: Response, status: number, title: string, detail: string): void {
  res
    .status(status)
    .type('application/problem+json')
    .send(JSON.stringify({ type: 'about:blank', title, status, detail }));
}

/**
 * Inbound rate limit middleware (Express 4 and 5) on rate-limiter-flexible: a fixed window per
 * client, counted in Redis by every worker (one atomic script per request), with an in-memory
 * insurance limiter while Redis is down or slow. Over the limit: 429 problem+json with
 * Retry-After and the IETF RateLimit / RateLimit-Policy headers.
 */
export function rateLimit(
  options: RateLimitOptions = {},
): RequestHandler & { close(): Promise<void> } {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('rateLimit: options must be an object');
  for (const k of Object.keys(options))
    if (!KNOWN.has(k)) throw new TypeError(`rateLimit: unknown option "${k}"`);
  const points = int('points', options.points ?? 100, 1);
  const durationMs = int('durationMs', options.durationMs ?? 60_000, 1000);
  if (durationMs % 1000 !== 0)
    throw new RangeError(
      'rateLimit: durationMs must be a whole number of seconds (a multiple of 1000)',
    );
  const ipv6Subnet = int('ipv6Subnet', options.ipv6Subnet ?? 56, 1);
  if (ipv6Subnet > 128) throw new RangeError('rateLimit: ipv6Subnet must be at most 128');
  const expectedWorkers = int('expectedWorkers', options.expectedWorkers ?? 1, 1);
  const storeTimeoutMs = int('storeTimeoutMs', options.storeTimeoutMs ?? 200, 1);
  const onStoreError = options.onStoreError ?? 'insurance';
  if (!['insurance', 'allow', 'deny'].includes(onStoreError))
    throw new TypeError("rateLimit: onStoreError must be 'insurance', 'allow' or 'deny'");
  for (const fn of ['keyBy', 'cost', 'skip'] as const)
    if (options[fn] !== undefined && typeof options[fn] !== 'function')
      throw new TypeError(`rateLimit: ${fn} must be a function`);
  if (
    options.redis !== undefined &&
    typeof options.redis !== 'string' &&
    !isRedisLike(options.redis)
  )
    throw new TypeError('rateLimit: redis must be an ioredis Redis or Cluster, or a URL');
  const client = clientFor(options.redis);
  const policy = options.policyName ?? 'default';
  if (typeof policy !== 'string' || !/^[a-z*][a-z0-9_\-.*]*$/.test(policy))
    throw new TypeError('rateLimit: policyName must be a lowercase token (a structured-field key)');
  const sendHeaders = options.headers ?? true;
  const keyPrefix = options.keyPrefix ?? 'resil:';
  const logger =
    options.logger === false
      ? undefined
      : (options.logger ?? packageLogger(() => new SafeLogger('resil.ratelimit')));
  const block =
    options.inMemoryBlockOnConsumed === undefined
      ? undefined
      : int('inMemoryBlockOnConsumed', options.inMemoryBlockOnConsumed, points);
  const duration = durationMs / 1000;

  const insurance = new RateLimiterMemory({
    points: Math.max(1, Math.floor(points / expectedWorkers)),
    duration,
    keyPrefix: 'insurance',
  });
  const store = client
    ? new RateLimiterRedis({
        storeClient: client,
        points,
        duration,
        // one budget per limiter: the key names the policy, its quota and its window, so two
        // limiters of one app never count in each other's budget unless all three agree
        keyPrefix: `${keyPrefix}ratelimit:in:${policy}:q${points}w${duration}`,
        rejectIfRedisNotReady: true,
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
  let storeDown = false;
  const keyBy = options.keyBy ?? ((req: Request) => ipKey(req.ip, ipv6Subnet));

  type Outcome = { r: RateLimiterRes; rejected: boolean } | Error;
  // Until the client's first connection is made, a request waits for it (bounded by
  // storeTimeoutMs) instead of going to the insurance: a worker that just started counts in Redis.
  let firstConnect: Promise<void> | undefined;
  const waitFirstConnect = (client: RedisLike): Promise<void> | undefined => {
    const s = client.status;
    if (s !== 'wait' && s !== 'connecting' && s !== 'connect') return undefined;
    if (!firstConnect) {
      firstConnect = new Promise<void>((resolve) => {
        const done = () => {
          client.off('ready', done);
          client.off('end', done);
          resolve();
        };
        client.once('ready', done);
        client.once('end', done);
        if (s === 'wait') client.connect().catch(done);
      });
    }
    return firstConnect;
  };

  const deadlines = new Deadlines(storeTimeoutMs);
  const consume = async (key: string, cost: number): Promise<Outcome> => {
    try {
      const first = client ? waitFirstConnect(client) : undefined;
      if (first) await deadlines.race(first, storeTimeoutMs);
      // rate-limiter-flexible goes to the insurance on its own when the client is not ready.
      if (client && client.status !== 'ready') markStore(true);
      const r = await deadlines.race(store.consume(key, cost), storeTimeoutMs);
      if (r === 'timeout') {
        // A slow (paused) Redis: decide now, as rate-limiter-flexible would on an error.
        markStore(true);
        if (onStoreError !== 'insurance') return new Error('store timeout');
        return { r: await insurance.consume(key, cost), rejected: false };
      }
      if (storeDown && client?.status === 'ready') markStore(false);
      return { r, rejected: false };
    } catch (e) {
      // Over the limit (from Redis, the insurance or the in-memory block): never a store error.
      if (e instanceof RateLimiterRes) return { r: e, rejected: true };
      markStore(true);
      return e instanceof Error ? e : new Error('store error');
    }
  };
  const markStore = (down: boolean) => {
    if (down === storeDown) return;
    storeDown = down;
    if (down)
      logger?.warn(
        `rate limit: store unavailable, ${onStoreError === 'insurance' ? 'limiting in this process' : onStoreError === 'allow' ? 'allowing requests' : 'refusing requests'}`,
        { policy },
      );
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
      if (options.skip?.(req)) return next();
      if (
        !warnedProxy &&
        req.headers['x-forwarded-for'] !== undefined &&
        !req.app?.get?.('trust proxy')
      ) {
        warnedProxy = true;
        logger?.warn(
          "rate limit: requests carry X-Forwarded-For but Express 'trust proxy' is not set; clients are keyed by the connecting address (set 'trust proxy' to your proxies to key by client)",
          { policy },
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
      const cost = options.cost ? options.cost(req) : 1;
      if (!Number.isInteger(cost) || cost < 0)
        throw new RangeError('rateLimit: cost must return an integer >= 0');
      if (cost === 0) return next();
      const outcome = await consume(key, cost);
      if (outcome instanceof Error) {
        if (onStoreError === 'deny') {
          res.setHeader('Retry-After', '1');
          return problem(
            res,
            503,
            'Service Unavailable',
            'The rate limit could not be checked; retry shortly.',
          );
        }
        return next(); // 'allow' (or an insurance failure: never reject on our own fault)
      }
      const { r, rejected } = outcome;
      if (rejected) {
        setHeaders(res, r);
        res.setHeader('Retry-After', String(Math.max(1, Math.ceil(r.msBeforeNext / 1000))));
        return problem(
          res,
          429,
          'Too Many Requests',
          `Rate limit exceeded; retry after ${Math.max(1, Math.ceil(r.msBeforeNext / 1000))} s.`,
        );
      }
      if (sendHeaders) setHeaders(res, r);
      next();
    } catch (err) {
      next(err);
    }
  };
  return Object.assign(middleware, {
    /** Closes the Redis client the middleware made from a URL (a client you passed stays yours). */
    close: async (): Promise<void> => {
      if (typeof options.redis === 'string') client?.disconnect();
    },
  });
}
