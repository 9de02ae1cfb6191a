import { SafeLogger } from '@resil/safe-log';
import { RateLimitAbortError, RateLimitQueueFullError, RateLimitTimeoutError } from './errors';
import { integerOptions } from './options';
import {
  BoundedRedis,
  clientFor,
  connectionLosses,
  isRedisLike,
  packageLogger,
  type RedisLike,
} from './redis-call';
import { GCRA } from './scripts';

export interface RateLimiterOptions {
  /** Limiters with one name (and Redis) are one limit across every process. */
  name: string;
  /** Calls allowed per `durationMs`. */
  points: number;
  /** The window, in ms. */
  durationMs: number;
  /**
   * Units that may go at once after an idle period (at most `points`); 1 = evenly spaced. Adds
   * nothing to a window: the units in any window of `durationMs` stay within `points`. @default 1
   */
  burst?: number;
  /** Shares the limit through Redis: an ioredis `Redis`, `Cluster`, or a URL. @default memory */
  redis?: RedisLike | string;
  /** @default 'resil:' */
  keyPrefix?: string;
  /** Widens the spacing and the window against caller-side timer and network jitter. @default 0.05 (5 %) */
  margin?: number;
  /** Callers that may wait at once in this process; beyond, acquire() rejects. @default 1000 */
  maxQueue?: number;
  /**
   * Processes sharing the limit: while Redis is away each allows floor(points / expectedWorkers)
   * units per window, after a quarantine of two windows. @default 1
   */
  expectedWorkers?: number;
  /** Longest wait for a Redis reply before using the in-memory fallback. @default 300 */
  commandTimeoutMs?: number;
  /** Where a Redis outage is logged (once), or false. @default a SafeLogger('resil.ratelimit') */
  logger?:
    | {
        warn(m: string, meta?: Record<string, unknown>): void;
        info(m: string, meta?: Record<string, unknown>): void;
      }
    | false;
}

export interface AcquireOptions {
  /** Aborting rejects the wait with RateLimitAbortError (name 'AbortError'). */
  signal?: AbortSignal;
  /** Longest wait; a token further away rejects at once with RateLimitTimeoutError. @default 60000 */
  timeoutMs?: number;
  /** Units to take, an integer from 1 to `points` (a RangeError otherwise). @default 1 */
  cost?: number;
}

/** An outbound limiter: `await limiter.acquire()` before each call to the dependency. */
export interface RateLimiter {
  readonly name: string;
  readonly points: number;
  readonly durationMs: number;
  /** 'redis' (shared) or 'memory'. */
  readonly storage: 'redis' | 'memory';
  /** True while Redis is configured but unreachable (the per-process fallback limits). */
  readonly degraded: boolean;
  /** Callers of this process currently waiting. */
  readonly waiting: number;
  /** Waits until a token is available (bounded by timeoutMs and signal). */
  acquire(options?: AcquireOptions): Promise<void>;
  /** Takes a token if one is available now; never waits. */
  tryAcquire(cost?: number): Promise<boolean>;
  /** Releases the Redis client if the limiter created it from a URL. */
  close(): Promise<void>;
}

type GcraClient = {
  resilGcraWindow(
    stateKey: string,
    logKey: string,
    interval: number,
    maxWait: number,
    cost: number,
    burst: number,
    points: number,
    windowMs: number,
    fenceMs: number,
    fenceIfMissingMs: number,
  ): Promise<[string, number]>;
};
const defined = new WeakSet<object>();

const KNOWN = new Set([
  'name',
  'points',
  'durationMs',
  'burst',
  'redis',
  'keyPrefix',
  'margin',
  'maxQueue',
  'expectedWorkers',
  'commandTimeoutMs',
  'logger',
]);

const int = integerOptions('createRateLimiter');

/**
 * In memory, the same two constraints as the Lua script (GCRA spacing and the log of grants that
 * keeps the units of any sliding window within `points`), on this process's clock.
 */
export class MemoryWindow {
  #tat = 0;
  #last = 0;
  #units = 0;
  /** Grants that a future window may still hold: time and cumulative units after the grant. */
  readonly #log: Array<{ at: number; c: number; cost: number }> = [];
  #head = 0;
  constructor(
    readonly interval: number,
    readonly burst: number,
    readonly points: number,
    readonly windowMs: number,
    readonly clock: () => number = () => performance.now(),
  ) {}

  /** Reserves `cost` units at the earliest allowed time if that is within `maxWait` ms. */
  take(maxWait: number, cost: number): { waitMs: number; granted: boolean } {
    const now = this.clock();
    if (cost > this.points) return { waitMs: Number.POSITIVE_INFINITY, granted: false };
    this.#prune(now);
    const tat = Math.max(this.#tat, now);
    let at = Math.max(now, tat - (this.burst - 1) * this.interval, this.#last);
    const need = this.#units + cost - this.points;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent: with need <= 0 no grant has fewer than need units before it (c - cost >= 0), so the check below never moves `at`
    if (need > 0) {
      // the grant that holds unit number `need`; none left: it was pruned, a window old
      const e = this.#firstAtLeast(need);
      if (e && e.c - e.cost < need) at = Math.max(at, e.at + this.windowMs);
    }
    // a wait under a microsecond is the rounding of the spacing sums (3 × (1000 / 3) ≠ 1000): the
    // burst's last unit is free now, not refused to tryAcquire
    const waitMs = at - now < 1e-6 ? 0 : at - now;
    if (waitMs > maxWait) return { waitMs, granted: false };
    this.#tat = Math.max(tat, at) + cost * this.interval;
    this.#last = at;
    this.#units += cost;
    this.#log.push({ at, c: this.#units, cost });
    return { waitMs, granted: true };
  }

  /** No grant before `until` (this clock). */
  fence(until: number): void {
    this.#last = Math.max(this.#last, until);
  }

  #prune(now: number): void {
    const log = this.#log;
    // entries no future window can hold: a window's span ago, or below any future `need`
    while (
      this.#head < log.length &&
      ((log[this.#head] as { at: number }).at + this.windowMs <= now ||
        (log[this.#head] as { c: number }).c <= this.#units - this.points)
    )
      this.#head++;
    if (this.#head > 1024 && this.#head * 2 > log.length) {
      log.splice(0, this.#head);
      this.#head = 0;
    }
  }

  #firstAtLeast(need: number): { at: number; c: number; cost: number } | undefined {
    const log = this.#log;
    let lo = this.#head;
    let hi = log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((log[mid] as { c: number }).c >= need) hi = mid;
      else lo = mid + 1;
    }
    return log[lo];
  }
}

/**
 * An outbound rate limiter, exact across every process that shares its name and Redis: one Lua
 * script on Redis time hands out evenly spaced grants (GCRA) and keeps a log of them, so the
 * dependency never sees more than `points` units (the sum of the costs) in any sliding window of
 * `durationMs`, whatever the costs and the burst. Without Redis the same algorithm runs in
 * memory; while Redis is away, after a quarantine of two windows, each process grants its share
 * (README: "The outbound guarantee").
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('createRateLimiter: options must be an object');
  for (const k of Object.keys(options))
    if (!KNOWN.has(k)) throw new TypeError(`createRateLimiter: unknown option "${k}"`);
  const { name } = options;
  if (typeof name !== 'string' || name.length === 0 || name.length > 200)
    throw new TypeError(
      'createRateLimiter: name must be a non-empty string (at most 200 characters)',
    );
  const points = int('points', options.points, 1);
  const durationMs = int('durationMs', options.durationMs, 1);
  const burst = int('burst', options.burst ?? 1, 1);
  if (burst > points) throw new RangeError('createRateLimiter: burst must be at most points');
  const maxQueue = int('maxQueue', options.maxQueue ?? 1000, 0);
  const expectedWorkers = int('expectedWorkers', options.expectedWorkers ?? 1, 1);
  const commandTimeoutMs = int('commandTimeoutMs', options.commandTimeoutMs ?? 300, 1);
  const margin = options.margin ?? 0.05;
  if (typeof margin !== 'number' || !(margin >= 0 && margin < 1))
    throw new RangeError('createRateLimiter: margin must be a number in [0, 1)');
  const keyPrefix = options.keyPrefix ?? 'resil:';
  if (typeof keyPrefix !== 'string')
    throw new TypeError('createRateLimiter: keyPrefix must be a string');
  const r = options.redis;
  if (r !== undefined && typeof r !== 'string' && !isRedisLike(r))
    throw new TypeError('createRateLimiter: redis must be an ioredis Redis or Cluster, or a URL');
  const logger =
    options.logger === false
      ? undefined
      : (options.logger ?? packageLogger(() => new SafeLogger('resil.ratelimit')));

  // the margin widens both the spacing and the window, so that timer and network jitter at the
  // callers cannot make an upstream count points + 1 in its own window
  const interval = (durationMs / points) * (1 + margin);
  const windowMs = durationMs * (1 + margin);
  const fallbackPoints = Math.max(1, Math.floor(points / expectedWorkers));
  const memory =
    r === undefined
      ? new MemoryWindow(interval, burst, points, windowMs)
      : new MemoryWindow(
          (durationMs / fallbackPoints) * (1 + margin),
          Math.min(burst, fallbackPoints),
          fallbackPoints,
          windowMs,
        );
  const client = clientFor(r);
  const owned = typeof r === 'string';
  if (client && !defined.has(client)) {
    client.defineCommand('resilGcraWindow', { numberOfKeys: 2, lua: GCRA });
    defined.add(client);
  }
  const stateKey = `${keyPrefix}{ratelimit:${name}}:gcra`;
  const logKey = `${keyPrefix}{ratelimit:${name}}:log`;
  // Redis reserves slots at most this far ahead (a caller further back asks again later), so a
  // process that loses Redis knows how far ahead other processes may still hold slots.
  const horizonMs = windowMs;
  // A process that loses Redis grants nothing from memory for this long: the units other
  // processes were granted through Redis (up to the horizon) must be a window old first.
  const quarantineMs = windowMs + horizonMs;
  const losses = client ? connectionLosses(client) : undefined;
  let lossesSeen = losses?.count ?? 0;
  let lastMemoryGrant = Number.NEGATIVE_INFINITY;
  // this process's latest grant (either path): while it is recent, the shared state must exist
  let lastGrant = Number.NEGATIVE_INFINITY;
  const bounded = client
    ? new BoundedRedis(client, commandTimeoutMs, (degraded) => {
        // Stryker disable next-line ConditionalExpression: equivalent: a fence set on the return is always superseded, as memory is used only after a new failure, which fences later
        if (degraded) memory.fence(performance.now() + quarantineMs);
        if (degraded)
          logger?.warn('rate limiter: Redis unavailable, limiting in this process', {
            limiter: name,
            fallbackPoints,
            durationMs,
          });
        else
          logger?.info('rate limiter: Redis available again, limit shared again', {
            limiter: name,
          });
      })
    : undefined;

  let waiting = 0;

  /**
   * One attempt: granted (a slot waitMs from now is the caller's), or refused with the wait it
   * would have needed; `retryMs` > 0 says the refusal is not final: ask again after that long.
   */
  const take = async (
    maxWait: number,
    cost: number,
  ): Promise<{ waitMs: number; granted: boolean; retryMs: number }> => {
    if (bounded) {
      const asked = performance.now();
      // after a fallback, no Redis grant (to anyone) within a window of this process's own
      // memory grants; a state found missing after a lost connection (a restart?), or while
      // this process's latest grant is too recent for the state to have expired (its TTL runs
      // two windows past the latest grant), was lost: it starts fenced like a fallback
      const fenceMs = Math.max(0, lastMemoryGrant + windowMs - asked);
      const lossCount = losses?.count ?? 0;
      const fenceIfMissingMs =
        lossCount !== lossesSeen || asked - lastGrant < quarantineMs ? quarantineMs : 0;
      const reply = await bounded.run((c) =>
        (c as unknown as GcraClient).resilGcraWindow(
          stateKey,
          logKey,
          interval,
          Math.min(maxWait, horizonMs),
          cost,
          burst,
          points,
          windowMs,
          fenceMs,
          fenceIfMissingMs,
        ),
      );
      if (reply) {
        lossesSeen = lossCount;
        const waitMs = Number(reply[0]);
        const granted = Number(reply[1]) === 1;
        if (granted) lastGrant = Math.max(lastGrant, asked + waitMs);
        return { waitMs, granted, retryMs: granted ? 0 : Math.max(1, waitMs - horizonMs) };
      }
      // Redis away: memory grants only at once (a reservation would outlive Redis's return)
      const r = memory.take(0, cost);
      if (r.granted) lastMemoryGrant = lastGrant = asked;
      return { ...r, retryMs: r.granted ? 0 : Math.min(r.waitMs, 250) };
    }
    return { ...memory.take(maxWait, cost), retryMs: 0 };
  };

  const limiter: RateLimiter = {
    name,
    points,
    durationMs,
    storage: client ? 'redis' : 'memory',
    get degraded() {
      return bounded?.degraded ?? false;
    },
    get waiting() {
      return waiting;
    },
    async acquire(opts: AcquireOptions = {}) {
      const { signal } = opts;
      const timeoutMs = opts.timeoutMs ?? 60_000;
      const cost = opts.cost ?? 1;
      if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0))
        throw new RangeError('acquire: timeoutMs must be a number >= 0');
      if (!Number.isInteger(cost) || cost < 1 || cost > points)
        throw new RangeError(`acquire: cost must be an integer from 1 to points (${points})`);
      if (signal?.aborted) throw new RateLimitAbortError(name, signal.reason);
      if (waiting >= maxQueue) throw new RateLimitQueueFullError(name, maxQueue);
      waiting++;
      try {
        const deadline = performance.now() + timeoutMs;
        for (;;) {
          const patience = Math.max(0, deadline - performance.now());
          const { waitMs, granted, retryMs } = await take(patience, cost);
          if (signal?.aborted && !granted) throw new RateLimitAbortError(name, signal.reason);
          if (granted) {
            if (signal?.aborted) throw new RateLimitAbortError(name, signal.reason);
            if (waitMs > 0) await sleep(waitMs, signal, name);
            return;
          }
          if (waitMs > patience || retryMs <= 0) throw new RateLimitTimeoutError(name, waitMs);
          await sleep(retryMs, signal, name);
        }
      } finally {
        waiting--;
      }
    },
    async tryAcquire(cost = 1) {
      if (!Number.isInteger(cost) || cost < 1 || cost > points)
        throw new RangeError(`tryAcquire: cost must be an integer from 1 to points (${points})`);
      return (await take(0, cost)).granted;
    },
    async close() {
      // Stryker disable next-line OptionalChaining: equivalent: owned means the limiter made the client from the URL
      if (owned) client?.disconnect();
    },
  };
  return limiter;
}

function sleep(ms: number, signal: AbortSignal | undefined, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      // Stryker disable next-line OptionalChaining: equivalent: onAbort runs only as the signal's listener
      reject(new RateLimitAbortError(name, signal?.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.ceil(ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
