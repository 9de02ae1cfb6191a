import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
// node:timers' own, not the global: a test's fake timers (they replace the globals) must not hold
// the counts of a turn back
import { setImmediate } from 'node:timers';
import {
  booleanOption,
  type Closeable,
  CORE_ERROR_CODES,
  checkOptions,
  clientStatus,
  createTelemetry,
  Deadlines,
  defineScript,
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
  OptionTypeError,
  onClientEnd,
  onClientReady,
  problem,
  type RedisClient,
  ResilError,
  resolveLogger,
  sendProblem,
  stringOption,
} from '@resil/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { redisOption } from './internal/redis-option';
import { ipKey } from './ip';
import { INBOUND_CONSUME, INBOUND_REFUND } from './scripts';
import type {
  AllowedEvent,
  LimitedEvent,
  RefundedEvent,
  StoreDegradedEvent,
  StoreErrorEvent,
  StoreRestoredEvent,
} from './types';

/** What a limiter decided for a request: `req.rateLimit`, and the fourth argument of `handler`. */
export interface RateLimitInfo {
  /** Units allowed per window for this request (`points`, or what `points(req)` returned). */
  readonly limit: number;
  /** Units left in the window (0 on a 429). */
  readonly remaining: number;
  /** Milliseconds until the window resets (or the block ends). */
  readonly resetMs: number;
  /** The limiter's `policyName`. */
  readonly policy: string;
}

declare global {
  namespace Express {
    interface Request {
      /** Set by @resil/ratelimit: the most restrictive limiter's decision on this request. */
      rateLimit?: RateLimitInfo;
    }
  }
}

export interface RateLimitOptions {
  /**
   * Requests (or cost units) allowed per window, or a function of the request (per plan, per API
   * key; sync or async) returning an integer >= 1. @default 100
   */
  points?: number | ((req: Request) => number | Promise<number>);
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
  /** Give back a request's units when its response succeeds (status < 400). @default false */
  skipSuccessfulRequests?: boolean;
  /** Give back a request's units when its response fails (status >= 400, or the connection closed before the response ended). @default false */
  skipFailedRequests?: boolean;
  /** Answers a request over the limit instead of the 429 problem+json (headers already set). @default 429 application/problem+json */
  handler?: (req: Request, res: Response, next: NextFunction, info: RateLimitInfo) => unknown;
  /** Once a key exceeds the limit it stays refused this long (whole seconds, in Redis: every worker). @default 0 (off) */
  blockDurationMs?: number;
  /** Also send X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset (epoch seconds). @default false */
  legacyHeaders?: boolean;
}

/** The middleware `rateLimit()` returns: a request handler with its events and `close()`. */
export interface RateLimitMiddleware extends RequestHandler, Closeable {
  /** A request was let through (`remaining`: units left in its window). */
  readonly onAllowed: Event<AllowedEvent>;
  /** A request was answered 429. */
  readonly onLimited: Event<LimitedEvent>;
  /** The store failed for a request; `insurance`: the in-memory insurance decided it. */
  readonly onStoreError: Event<StoreErrorEvent>;
  /** A refund of skipSuccessfulRequests / skipFailedRequests was applied (`refunded`) or refused (its window had ended, or the store failed). */
  readonly onRefunded: Event<RefundedEvent>;
  /** The store became unusable (once per outage). */
  readonly onDegraded: Event<StoreDegradedEvent>;
  /** The store answers again after an outage. */
  readonly onRestored: Event<StoreRestoredEvent>;
  /**
   * Forgets a client's count (and block) in the store and the insurance: `key` as `keyBy`
   * returns it (a raw IPv6 address is grouped by `ipv6Subnet`, as for requests).
   */
  resetKey(key: string): Promise<void>;
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
  'skipSuccessfulRequests',
  'skipFailedRequests',
  'handler',
  'blockDurationMs',
  'legacyHeaders',
]);

const OWNER = 'rateLimit';
const STORE_ERRORS = ['insurance', 'allow', 'deny'] as const;
/** The stores' own quota when `points` is a function: the middleware compares with the request's. */
const UNBOUNDED = 2 ** 40;
/** Longest client key whose hash is kept (an IPv6 address with a zone is under 64 characters). */
const CACHED_KEY_LENGTH = 256;
const CONSUME = defineScript(INBOUND_CONSUME, { numberOfKeys: 1 });
const REFUND = defineScript(INBOUND_REFUND, { numberOfKeys: 1 });

/**
 * A store's answer with what a refund needs: the window's end on Redis's clock (`end`), or its
 * record in memory (`rec`); `ins`: the insurance decided it.
 */
interface Decision extends RateLimiterRes {
  end?: number;
  rec?: unknown;
  ins?: boolean;
}
interface MemoryRecord {
  value: number;
  expiresAt: number | null;
}
type Upsert = (
  rlKey: string,
  points: number,
  msDuration: number,
  forceExpire?: boolean,
) => Promise<unknown>;
type ResOf = (rlKey: string, changed: number, result: unknown) => Decision;
const upsert = (RateLimiterRedis.prototype as unknown as { _upsert: Upsert })._upsert;
const resOf = (RateLimiterRedis.prototype as unknown as { _getRateLimiterRes: ResOf })
  ._getRateLimiterRes;

/**
 * rate-limiter-flexible's Redis limiter, counting with this package's script (the same counter,
 * plus the window's end, which a refund needs); blocks (`forceExpire`) stay its own.
 */
class RedisStore extends RateLimiterRedis {
  _upsert(rlKey: string, points: number, msDuration: number, forceExpire = false) {
    if (forceExpire) return upsert.call(this, rlKey, points, msDuration, true);
    if (
      !(this as unknown as { _isRedisReady(k: string, r: boolean): boolean })._isRedisReady(
        rlKey,
        false,
      )
    )
      return Promise.reject(new Error('Redis connection is not ready'));
    const c = (this as unknown as { client: RedisClient }).client;
    return CONSUME.run(c as never, [rlKey], [points, Math.floor(msDuration / 1000)]);
  }
  _getRateLimiterRes(rlKey: string, changed: number, result: unknown): Decision {
    const res = resOf.call(this, rlKey, changed, result);
    const end = (result as unknown[])[2];
    if (end !== undefined) res.end = Number(end);
    return res;
  }
}

/** rate-limiter-flexible's memory limiter, whose answers carry their window's record. */
class MemoryStore extends RateLimiterMemory {
  #records(): Map<string, MemoryRecord> {
    return (this as unknown as { _memoryStorage: { _storage: Map<string, MemoryRecord> } })
      ._memoryStorage._storage;
  }
  override consume(
    key: string | number,
    points?: number,
    options?: Record<string, unknown>,
  ): Promise<RateLimiterRes> {
    const p = super.consume(key, points, options);
    // the record the count went to (looked up in the same tick: no other request in between)
    const rec = this.#records().get(this.getKey(key));
    return p.then(
      (r: Decision) => {
        r.rec = rec;
        return r;
      },
      (e: unknown) => {
        if (e instanceof RateLimiterRes) (e as Decision).rec = rec;
        throw e;
      },
    );
  }
  /** Gives back up to `cost` units to the window `rec`, if it is still the key's; never below 0. */
  refund(key: string, rec: unknown, cost: number): number {
    const cur = this.#records().get(this.getKey(key));
    if (cur === undefined || cur !== rec) return 0;
    if (cur.expiresAt !== null && cur.expiresAt <= Date.now()) return 0;
    const n = Math.min(cost, cur.value);
    if (n <= 0) return 0;
    cur.value -= n;
    return n;
  }
}

/**
 * The insurance limiter, which tells when rate-limiter-flexible hands a request to it (the store
 * failed or its client is not ready); `decide` is this package's own call after a time-out.
 */
class Insurance extends MemoryStore {
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
    return this.decide(String(key), points ?? 1, options);
  }
  decide(key: string, points: number, options?: Record<string, unknown>): Promise<RateLimiterRes> {
    return super.consume(key, points, options).then(
      (r: Decision) => {
        r.ins = true;
        return r;
      },
      (e: unknown) => {
        if (e instanceof RateLimiterRes) (e as Decision).ins = true;
        throw e;
      },
    );
  }
}

/** The store's refusal: over the limit (from Redis, the insurance or the in-memory block). */
class Rejected {
  constructor(readonly r: Decision) {}
}

/** One count on Redis: settled by the store's answer or by storeTimeoutMs, whichever comes first. */
class Count {
  settled = false;
  /** a store failure has been handed to the insurance */
  insured = false;
  constructor(
    /** performance.now() at which it times out */
    readonly at: number,
    readonly key: string,
    readonly cost: number,
    /** the insurance's takeovers when it was sent (the store is back only if none since) */
    readonly before: number,
    // what the answer needs (fields, not a closure per request)
    readonly req: Request,
    readonly res: Response,
    readonly next: NextFunction,
    /** the request's quota: `points`, or what `points(req)` returned */
    readonly quota: number,
    readonly resolve: (v: void | Promise<void>) => void,
  ) {}
}

const append = (res: Response, name: string, value: string) => {
  // optional: a minimal response object (a test's, another framework's) may lack getHeader
  const cur = res.getHeader?.(name);
  res.setHeader(name, cur === undefined ? value : `${cur}, ${value}`);
};

/**
 * Inbound rate limit middleware (Express 4 and 5) on rate-limiter-flexible: a fixed window per
 * client, counted in Redis by every worker (one atomic script per client and event-loop turn),
 * with an in-memory insurance limiter while Redis is down or slow. Over the limit: 429 problem+json with
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
  const pointsFn =
    typeof o.points === 'function'
      ? (o.points as (req: Request) => number | Promise<number>)
      : undefined;
  const points = pointsFn ? UNBOUNDED : int('points', o.points, 1, 100);
  const durationMs = int('durationMs', o.durationMs, 1000, 60_000);
  if (durationMs % 1000 !== 0)
    throw new OptionRangeError(
      'durationMs',
      `${OWNER}: durationMs must be a whole number of seconds (a multiple of 1000)`,
    );
  const blockDurationMs = int('blockDurationMs', o.blockDurationMs, 0, 0);
  if (blockDurationMs % 1000 !== 0)
    throw new OptionRangeError(
      'blockDurationMs',
      `${OWNER}: blockDurationMs must be a whole number of seconds (a multiple of 1000)`,
    );
  const blockS = blockDurationMs / 1000;
  const ipv6Subnet = int('ipv6Subnet', o.ipv6Subnet, 1, 56, 128);
  const expectedWorkers = int('expectedWorkers', o.expectedWorkers, 1, 1);
  const storeTimeoutMs = int('storeTimeoutMs', o.storeTimeoutMs, 1, 200);
  const onStoreError = enumOption(OWNER, 'onStoreError', o.onStoreError, STORE_ERRORS, 'insurance');
  const keyByOption = functionOption<(req: Request) => string>(OWNER, 'keyBy', o.keyBy);
  const costOf = functionOption<(req: Request) => number>(OWNER, 'cost', o.cost);
  const skip = functionOption<(req: Request) => boolean>(OWNER, 'skip', o.skip);
  const handler = functionOption<NonNullable<RateLimitOptions['handler']>>(
    OWNER,
    'handler',
    o.handler,
  );
  const skipSuccessful = booleanOption(
    OWNER,
    'skipSuccessfulRequests',
    o.skipSuccessfulRequests,
    false,
  );
  const skipFailed = booleanOption(OWNER, 'skipFailedRequests', o.skipFailedRequests, false);
  const legacyHeaders = booleanOption(OWNER, 'legacyHeaders', o.legacyHeaders, false);
  const redis = redisOption(OWNER, o.redis);
  const policy = stringOption(OWNER, 'policyName', o.policyName, {
    default: 'default',
    pattern: /^[a-z*][a-z0-9_\-.*]*$/,
    describe: 'a lowercase token (a structured-field key)',
  });
  const sendHeaders = o.headers ?? true;
  const keyPrefix = stringOption(OWNER, 'keyPrefix', o.keyPrefix, { default: 'resil:' });
  const logger = resolveLogger(OWNER, 'resil.ratelimit', o.logger);
  if (pointsFn && o.inMemoryBlockOnConsumed !== undefined)
    throw new OptionTypeError(
      CORE_ERROR_CODES.OPTION_TYPE,
      'inMemoryBlockOnConsumed',
      `${OWNER}: inMemoryBlockOnConsumed needs a number of points (not a function)`,
    );
  const block =
    o.inMemoryBlockOnConsumed === undefined
      ? undefined
      : int('inMemoryBlockOnConsumed', o.inMemoryBlockOnConsumed, points);
  const duration = durationMs / 1000;
  const lease = redis === undefined ? undefined : leaseClient(redis);
  const client: RedisClient | undefined = lease?.client;
  // rate-limiter-flexible blocks a key itself when it knows the quota; with points(req), the
  // middleware does (below)
  const storeBlock = !pointsFn && blockS > 0 ? { blockDuration: blockS } : {};

  const telemetry = createTelemetry({
    strategy: 'ratelimit',
    pipeline: policy,
    scope: '@resil/ratelimit',
  });
  const allowedEvents = new EventEmitter<AllowedEvent>();
  const limitedEvents = new EventEmitter<LimitedEvent>();
  const refundedEvents = new EventEmitter<RefundedEvent>();
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
  const insurancePoints = (limit: number) => Math.max(1, Math.floor(limit / expectedWorkers));
  const insurance = new Insurance(
    { points: insurancePoints(points), duration, keyPrefix: 'insurance', ...storeBlock },
    () => {
      takeovers++;
      const code = failureCode();
      markStore(true, code === CORE_ERROR_CODES.REDIS_FAILED ? 'failed' : 'unavailable');
      storeError(code, true);
    },
  );
  const memory = client
    ? undefined
    : new MemoryStore({
        points,
        duration,
        ...storeBlock,
        ...(block ? { inMemoryBlockOnConsumed: block, inMemoryBlockDuration: duration } : {}),
      });
  // refunds need the window's end from the count; without them, rate-limiter-flexible's own script
  const Redis = skipSuccessful || skipFailed ? RedisStore : RateLimiterRedis;
  const store: RateLimiterRedis | MemoryStore =
    memory ??
    new Redis({
      storeClient: client,
      points,
      duration,
      // one budget per limiter: the key names the policy, its quota and its window, so two
      // limiters of one app never count in each other's budget unless all three agree
      keyPrefix: `${keyPrefix}ratelimit:in:${policy}:q${pointsFn ? 'fn' : points}w${duration}`,
      rejectIfRedisNotReady: true,
      // node-redis (v4+): rate-limiter-flexible's own route for it (blocks, get, delete)
      useRedisPackage: isNodeRedisClient(client),
      ...storeBlock,
      ...(onStoreError === 'insurance' ? { insuranceLimiter: insurance } : {}),
      ...(block ? { inMemoryBlockOnConsumed: block, inMemoryBlockDuration: duration } : {}),
    });

  let warnedProxy = false;
  // Recent clients' hashed keys: a client's key is hashed once, not on every request. Only short
  // keys (addresses, ids) are kept: 10 000 keys of 16 KB (a header's worth, from a keyBy that reads
  // one) would hold 160 MB; a longer key is hashed on each request instead (about 20 µs for 16 KB).
  const hashed = new Map<string, string>();
  /** The store key of a client key: a raw IPv6 address grouped by ipv6Subnet, then hashed. */
  const keyOf = (raw: string): string => {
    let key = hashed.get(raw);
    if (key === undefined) {
      const grouped = isIPv6(raw) ? ipKey(raw, ipv6Subnet) : raw;
      // Keys are hashed: client addresses and user ids never appear in Redis.
      key = createHash('sha256').update(grouped).digest('base64url').slice(0, 22);
      if (raw.length <= CACHED_KEY_LENGTH) {
        if (hashed.size >= 10_000) hashed.clear();
        hashed.set(raw, key);
      }
    }
    return key;
  };

  /**
   * Decided: the store's answer (let through unless over the quota), `Rejected` (over the limit),
   * or the code of a store failure nobody decided. An answer is not wrapped: no object per request.
   */
  type Outcome = Decision | Rejected | string;
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

  // for the first connection, points(req)'s block and resetKey (not per count: see `waiting`)
  const deadlines = new Deadlines(storeTimeoutMs);
  /** A store error: over the limit (from Redis, the insurance or the in-memory block), or a failure. */
  const onStoreThrow = (e: unknown): Outcome => {
    // Over the limit: never a store error.
    if (e instanceof RateLimiterRes) return new Rejected(e);
    const code = failureCode();
    markStore(true, code === CORE_ERROR_CODES.REDIS_FAILED ? 'failed' : 'unavailable');
    return code;
  };
  /** A slow (paused) Redis: decide now, as rate-limiter-flexible would on an error. */
  const onTimeout = (key: string, cost: number): Outcome | Promise<Outcome> => {
    markStore(true, 'timeout');
    if (onStoreError !== 'insurance') return CORE_ERROR_CODES.REDIS_TIMEOUT;
    storeError(CORE_ERROR_CODES.REDIS_TIMEOUT, true);
    return insurance.decide(key, cost).then(allowed, onStoreThrow);
  };
  const allowed = (r: RateLimiterRes): Outcome => r;
  // set once the client has been ready: from then on no request looks at the first connection
  let connected = false;
  /**
   * One count in the store, raced against storeTimeoutMs, then the answer to the request (one
   * promise and one `Count` per request on Redis: the hot path). Never rejects by itself: a
   * failure is its code.
   */
  const consume = (
    req: Request,
    res: Response,
    next: NextFunction,
    key: string,
    cost: number,
    quota: number,
  ): Promise<void> => {
    // a memory store answers at once: no deadline to race
    if (!client)
      return store
        .consume(key, cost)
        .then(allowed, onStoreThrow)
        .then((o) => respond(req, res, next, key, cost, quota, o));
    if (!connected) {
      const first = waitFirstConnect(client);
      if (first)
        return deadlines.race(first, storeTimeoutMs).then(() => {
          if (clientStatus(client) === 'ready') connected = true;
          return consumeRedis(req, res, next, key, cost, quota);
        });
      if (clientStatus(client) === 'ready') connected = true;
    }
    return consumeRedis(req, res, next, key, cost, quota);
  };
  /*
   * Counts waiting for Redis, oldest first, in a ring (no allocation per count once it has grown).
   * Every count waits storeTimeoutMs, so the queue is in deadline order: a sweep every quarter of
   * storeTimeoutMs (at least 5 ms; as core's Deadlines) times out the counts at its head whose time
   * has come, and an answered count leaves the head as soon as the ones before it have (Redis
   * answers one connection in order, so the head is almost always the one answered).
   */
  let ring: (Count | undefined)[] = new Array(128);
  let head = 0;
  let tail = 0;
  let sweeper: NodeJS.Timeout | undefined;
  const sweepMs = Math.max(5, Math.floor(storeTimeoutMs / 4));
  const dropSettled = () => {
    const mask = ring.length - 1;
    while (head < tail && (ring[head & mask] as Count).settled) ring[head++ & mask] = undefined;
  };
  const sweep = () => {
    const now = performance.now();
    const mask = ring.length - 1;
    while (head < tail) {
      const c = ring[head & mask] as Count;
      if (!c.settled && c.at > now) break;
      ring[head++ & mask] = undefined;
      if (!c.settled) timedOut(c);
    }
    if (head === tail && sweeper) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  };
  const enqueue = (c: Count) => {
    if (tail - head === ring.length) {
      // full: twice the room, in order from index 0
      const grown: (Count | undefined)[] = new Array(ring.length * 2);
      for (let i = head; i < tail; i++) grown[i - head] = ring[i & (ring.length - 1)];
      tail -= head;
      head = 0;
      ring = grown;
    }
    ring[tail++ & (ring.length - 1)] = c;
    if (!sweeper) {
      sweeper = setInterval(sweep, sweepMs);
      sweeper.unref();
    }
  };
  const timedOut = (c: Count) => {
    c.settled = true;
    c.resolve(
      Promise.resolve(onTimeout(c.key, c.cost)).then((o) =>
        respond(c.req, c.res, c.next, c.key, c.cost, c.quota, o),
      ),
    );
  };
  // the executor of every count's promise: hands its resolve over without a closure per count
  let resolveOf: ((v: void | Promise<void>) => void) | undefined;
  const takeResolve = (resolve: (v: void | Promise<void>) => void) => {
    resolveOf = resolve;
  };
  /*
   * rate-limiter-flexible's count without the layer of its `consume` that hands a failure to the
   * insurance limiter (a promise, its reactions and an argument array per request): `failed`
   * below does that. Its public `consume` if a later version has no `_consume`.
   */
  const internal = store as unknown as {
    _consume?: (key: string, points: number) => Promise<RateLimiterRes>;
  };
  const direct = typeof internal._consume === 'function';
  // the insurance is asked here (with `direct`; otherwise rate-limiter-flexible asks it)
  const insured = direct && onStoreError === 'insurance';
  const count = (key: string, cost: number): Promise<RateLimiterRes> =>
    direct
      ? (internal._consume as (key: string, points: number) => Promise<RateLimiterRes>).call(
          store,
          key,
          cost,
        )
      : store.consume(key, cost);
  const consumeRedis = (
    req: Request,
    res: Response,
    next: NextFunction,
    key: string,
    cost: number,
    quota: number,
  ): Promise<void> => {
    const p = new Promise<void>(takeResolve);
    const c = new Count(
      performance.now() + storeTimeoutMs,
      key,
      cost,
      takeovers,
      req,
      res,
      next,
      quota,
      resolveOf as (v: void | Promise<void>) => void,
    );
    enqueue(c);
    const answered = (r: RateLimiterRes) => {
      if (c.settled) return;
      c.settled = true;
      dropSettled();
      if (storeDown && takeovers === c.before && clientStatus(client as RedisClient) === 'ready')
        markStore(false);
      c.resolve(respond(req, res, next, key, cost, quota, r));
    };
    const failed = (e: unknown) => {
      // a store failure goes to the insurance (once), as rate-limiter-flexible's own consume does
      if (insured && !c.insured && !(e instanceof RateLimiterRes)) {
        c.insured = true;
        insurance.consume(key, cost).then(answered, failed);
        return;
      }
      if (c.settled) return;
      c.settled = true;
      dropSettled();
      c.resolve(respond(req, res, next, key, cost, quota, onStoreThrow(e)));
    };
    send(key, cost, answered, failed);
    return p;
  };
  /*
   * Counts of one key that arrive in the same turn of the event loop (requests read from several
   * sockets in one poll) go to Redis as ONE count of their summed cost, sent from setImmediate:
   * one script call, one write and one reply for all of them instead of one each. Redis counts
   * exactly what it would have counted one by one; each request's answer is the counter as it
   * would have stood after it, in arrival order (consumed = total after - batch + its cumulative
   * cost), so the same requests are allowed and refused, with the same remaining counts, as by
   * separate counts. Not with blockDurationMs or inMemoryBlockOnConsumed (rate-limiter-flexible
   * blocks a key on the count that crosses a threshold: those limiters count one by one).
   */
  const coalesce = direct && blockS === 0 && !block;
  type Answer = (r: RateLimiterRes) => void;
  type Failure = (e: unknown) => void;
  // key -> [cost, answered, failed, cost, answered, failed, ...] of this turn
  let turn: Map<string, unknown[]> | undefined;
  const send = (key: string, cost: number, answered: Answer, failed: Failure) => {
    if (!coalesce) {
      count(key, cost).then(answered, failed);
      return;
    }
    if (turn === undefined) {
      turn = new Map();
      setImmediate(flushTurn);
    }
    const same = turn.get(key);
    if (same === undefined) turn.set(key, [cost, answered, failed]);
    else same.push(cost, answered, failed);
  };
  const flushTurn = () => {
    const sent = turn as Map<string, unknown[]>;
    turn = undefined;
    for (const [key, e] of sent) {
      if (e.length === 3) {
        count(key, e[0] as number).then(e[1] as Answer, e[2] as Failure);
        continue;
      }
      let total = 0;
      for (let i = 0; i < e.length; i += 3) total += e[i] as number;
      count(key, total).then(
        (r) => share(r, total, e),
        (err: unknown) => {
          if (err instanceof RateLimiterRes) share(err, total, e);
          else for (let i = 2; i < e.length; i += 3) (e[i] as Failure)(err);
        },
      );
    }
  };
  /** Each request of a summed count gets the counter as it stood after its own cost. */
  const share = (r: RateLimiterRes, total: number, e: unknown[]) => {
    const before = r.consumedPoints - total;
    const end = (r as Decision).end;
    let consumed = before;
    for (let i = 0; i < e.length; i += 3) {
      const cost = e[i] as number;
      consumed += cost;
      const d: Decision = new RateLimiterRes(
        Math.max(0, points - consumed),
        r.msBeforeNext,
        consumed,
        r.isFirstInDuration && i === 0,
      );
      if (end !== undefined) d.end = end;
      if (consumed > points) (e[i + 2] as Failure)(d);
      else (e[i + 1] as Answer)(d);
    }
  };

  const policyValue = `"${policy}";q=${points};w=${duration}`;
  const setHeaders = (res: Response, limit: number, remaining: number, resetMs: number) => {
    const resetS = Math.max(0, Math.ceil(resetMs / 1000));
    // several limiters on one route: each adds its own list member (draft-ietf-httpapi-ratelimit-headers)
    append(
      res,
      'RateLimit-Policy',
      pointsFn ? `"${policy}";q=${limit};w=${duration}` : policyValue,
    );
    append(res, 'RateLimit', `"${policy}";r=${remaining};t=${resetS}`);
    if (legacyHeaders) {
      // one value each: the most restrictive limiter's
      const cur = res.getHeader?.('X-RateLimit-Remaining');
      if (cur === undefined || Number(cur) > remaining) {
        res.setHeader('X-RateLimit-Limit', String(limit));
        res.setHeader('X-RateLimit-Remaining', String(remaining));
        res.setHeader('X-RateLimit-Reset', String(Math.ceil((Date.now() + resetMs) / 1000)));
      }
    }
  };

  /** Gives back a request's units to the window that took them (see INBOUND_REFUND). */
  const refund = (key: string, cost: number, d: Decision) => {
    let given: Promise<unknown>;
    if (d.rec !== undefined)
      given = Promise.resolve(
        (d.ins ? insurance : (memory as MemoryStore)).refund(key, d.rec, cost),
      );
    else if (d.end !== undefined && client)
      given = REFUND.run(client as never, [(store as RedisStore).getKey(key)], [cost, d.end]);
    else given = Promise.resolve(0);
    given.then(
      (n) => {
        if (refundedEvents.size > 0) refundedEvents.emit({ policy, cost, refunded: Number(n) > 0 });
      },
      () => {
        if (refundedEvents.size > 0) refundedEvents.emit({ policy, cost, refunded: false });
      },
    );
  };
  /** Decides the refund when the response ends: finished (by its status) or closed early (failed). */
  const refundOnEnd = (res: Response, key: string, cost: number, d: Decision) => {
    let settled = false;
    const settle = (finished: boolean) => {
      if (settled) return;
      settled = true;
      const ok = finished && res.statusCode < 400;
      if (ok ? skipSuccessful : skipFailed) refund(key, cost, d);
    };
    res.once('finish', () => settle(true));
    res.once('close', () => settle(false));
  };
  const refunds = skipSuccessful || skipFailed;

  const limitOf = async (req: Request): Promise<number> => {
    const v = await (pointsFn as (req: Request) => number | Promise<number>)(req);
    if (!Number.isInteger(v) || v < 1)
      throw new RangeError('rateLimit: points(req) must return an integer >= 1');
    return v;
  };

  /** Over the limit: the block (points(req)), the headers, the event, then 429 or `handler`. */
  const limited = async (
    req: Request,
    res: Response,
    next: NextFunction,
    key: string,
    cost: number,
    limit: number,
    r: Decision,
  ): Promise<void> => {
    let waitMs = r.msBeforeNext;
    // points(req): the first request over the limit blocks the key (rate-limiter-flexible does it
    // for a fixed quota), in the store that counted it
    if (pointsFn && blockS > 0 && r.consumedPoints - cost <= limit) {
      const blocked = await deadlines.race(
        (r.ins ? insurance : store).block(key, blockS).then(
          () => 'blocked',
          () => 'failed', // the block is lost, not the 429
        ),
        storeTimeoutMs,
      );
      if (blocked === 'blocked') waitMs = blockDurationMs;
    }
    const info: RateLimitInfo = {
      limit,
      remaining: 0,
      resetMs: Math.max(0, Math.ceil(waitMs)),
      policy,
    };
    req.rateLimit = info;
    setHeaders(res, limit, 0, info.resetMs);
    const retryS = Math.max(1, Math.ceil(waitMs / 1000));
    if (limitedEvents.size > 0) limitedEvents.emit({ policy, retryAfterMs: info.resetMs });
    telemetry.event('limited');
    if (handler) {
      res.setHeader('Retry-After', String(retryS));
      await handler(req, res, next, info);
      return;
    }
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
  };

  /** What the store said, answered: next(), 429, or the store failure's policy. */
  const respond = (
    req: Request,
    res: Response,
    next: NextFunction,
    key: string,
    cost: number,
    quota: number,
    outcome: Outcome,
  ): void | Promise<void> => {
    try {
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
      const rejected = outcome instanceof Rejected;
      const r: Decision = rejected ? outcome.r : outcome;
      const limit = r.ins ? insurancePoints(quota) : quota;
      if (rejected || r.consumedPoints > limit)
        return limited(req, res, next, key, cost, limit, r).catch(next);
      const remaining = Math.max(0, limit - r.consumedPoints);
      const resetMs = Math.max(0, Math.ceil(r.msBeforeNext));
      const seen = req.rateLimit;
      if (seen === undefined || seen.remaining > remaining)
        req.rateLimit = { limit, remaining, resetMs, policy };
      if (sendHeaders) setHeaders(res, limit, remaining, resetMs);
      if (refunds) refundOnEnd(res, key, cost, r);
      if (allowedEvents.size > 0) allowedEvents.emit({ policy, remaining });
      telemetry.event('allowed');
      next();
    } catch (err) {
      next(err);
    }
  };

  // the default keyBy's cache: req.ip to the store key (no address parsing on a known client)
  const byIp = keyByOption ? undefined : new Map<string, string>();
  const middleware = function resilRateLimit(
    req: Request,
    res: Response,
    next: NextFunction,
  ): Promise<void> | undefined {
    try {
      if (skip?.(req)) return void next();
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
      let key: string | undefined;
      if (byIp) {
        const ip = req.ip ?? '';
        key = byIp.get(ip);
        if (key === undefined) {
          key = keyOf(ipKey(ip, ipv6Subnet));
          if (byIp.size >= 10_000) byIp.clear();
          byIp.set(ip, key);
        }
      } else {
        const raw = (keyByOption as (req: Request) => string)(req);
        if (typeof raw !== 'string') throw new TypeError('rateLimit: keyBy must return a string');
        key = keyOf(raw);
      }
      const k = key;
      const cost = costOf ? costOf(req) : 1;
      if (!Number.isInteger(cost) || cost < 0)
        throw new RangeError('rateLimit: cost must return an integer >= 0');
      if (cost === 0) return void next();
      if (pointsFn)
        return limitOf(req).then((quota) => consume(req, res, next, k, cost, quota), next);
      // consume never rejects, respond catches its own errors
      return consume(req, res, next, k, cost, points);
    } catch (err) {
      next(err);
    }
  };
  const resetKey = async (key: string): Promise<void> => {
    if (typeof key !== 'string') throw new TypeError('rateLimit: resetKey(key) takes a string');
    const k = keyOf(key);
    const done = await deadlines.race(
      Promise.all([store.delete(k), client ? insurance.delete(k) : undefined]),
      storeTimeoutMs,
    );
    if (done === 'timeout')
      throw new ResilError(
        CORE_ERROR_CODES.REDIS_TIMEOUT,
        'rateLimit: resetKey: the store did not answer in time',
      );
  };
  const withEvents = Object.assign(middleware, {
    onAllowed: allowedEvents.event,
    onLimited: limitedEvents.event,
    onRefunded: refundedEvents.event,
    onStoreError: storeErrorEvents.event,
    onDegraded: degradedEvents.event,
    onRestored: restoredEvents.event,
    resetKey,
  });
  return makeCloseable(withEvents, async () => {
    for (const e of [
      allowedEvents,
      limitedEvents,
      refundedEvents,
      storeErrorEvents,
      degradedEvents,
      restoredEvents,
    ])
      e.clear();
    await lease?.release();
  }) as RateLimitMiddleware;
}
