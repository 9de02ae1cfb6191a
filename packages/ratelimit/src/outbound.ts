import {
  BoundedRedis,
  type Closeable,
  checkOptions,
  createTelemetry,
  defineScript,
  type Event,
  EventEmitter,
  integerOption,
  keyBuilder,
  type Logger,
  leaseClient,
  makeCloseable,
  OptionRangeError,
  type RedisClient,
  reportStoreHealth,
  resolveLogger,
  stringOption,
} from '@resil/core';
import { connectionLosses } from './connection-losses';
import {
  ERROR_CODES,
  isRateLimitError,
  RateLimitAbortError,
  RateLimitQueueFullError,
  RateLimitTimeoutError,
} from './errors';
import { redisOption } from './internal/redis-option';
import { GCRA } from './scripts';
import type { GrantedEvent, RefusedEvent, StoreDegradedEvent, StoreRestoredEvent } from './types';

export interface RateLimiterOptions {
  /** Limiters with one name (and Redis) are one limit across every process. Without `}`. */
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
  /**
   * Shares the limit through Redis: an ioredis `Redis` or `Cluster`, a node-redis client or
   * cluster (`createClient()`, `createCluster()`; connected by you), or a URL (an ioredis client
   * from core's shared pool). @default memory
   */
  redis?: RedisClient | string;
  /** Prefix of the Redis keys (without `{` or `}`). @default 'resil:' */
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
  /** Where a Redis outage is logged (once), or false. @default core `codeLogger('resil.ratelimit')` */
  logger?: Logger | false;
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
export interface RateLimiter extends Closeable {
  readonly name: string;
  readonly points: number;
  readonly durationMs: number;
  /** 'redis' (shared) or 'memory'. */
  readonly storage: 'redis' | 'memory';
  /** True while Redis is configured but unreachable, or after close() (the per-process fallback limits). */
  readonly degraded: boolean;
  /** Callers of this process currently waiting. */
  readonly waiting: number;
  /** Waits until a token is available (bounded by timeoutMs and signal). */
  acquire(options?: AcquireOptions): Promise<void>;
  /** Takes a token if one is available now; never waits. */
  tryAcquire(cost?: number): Promise<boolean>;
  /** A grant (after the caller's wait). */
  readonly onGranted: Event<GrantedEvent>;
  /** A refusal: acquire() rejected, or tryAcquire() returned false. */
  readonly onRefused: Event<RefusedEvent>;
  /** Redis became unusable: the limiter limits in this process. */
  readonly onDegraded: Event<StoreDegradedEvent>;
  /** Redis answers again: the limit is shared again. */
  readonly onRestored: Event<StoreRestoredEvent>;
  /**
   * Releases the Redis client if the limiter leased it from a URL (the last lease quits it) and
   * its listener on a client you passed; afterwards the limiter limits in memory (degraded).
   * Idempotent; also `await using`.
   */
  close(): Promise<void>;
}

const GCRA_SCRIPT = defineScript(GCRA, { numberOfKeys: 2 });

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

const OWNER = 'createRateLimiter';
const int = (name: string, v: unknown, min: number, fallback?: number) =>
  integerOption(OWNER, name, v, fallback === undefined ? { min } : { min, default: fallback });

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
  const o = checkOptions(OWNER, options, KNOWN);
  const name = stringOption(OWNER, 'name', o.name, {
    minLength: 1,
    maxLength: 200,
    pattern: /^[^}]*$/,
    describe: 'without "}" (it would end the hash tag of its keys)',
  });
  const points = int('points', o.points, 1);
  const durationMs = int('durationMs', o.durationMs, 1);
  const burst = int('burst', o.burst, 1, 1);
  if (burst > points) throw new OptionRangeError('burst', `${OWNER}: burst must be at most points`);
  const maxQueue = int('maxQueue', o.maxQueue, 0, 1000);
  const expectedWorkers = int('expectedWorkers', o.expectedWorkers, 1, 1);
  const commandTimeoutMs = int('commandTimeoutMs', o.commandTimeoutMs, 1, 300);
  const margin = o.margin ?? 0.05;
  if (typeof margin !== 'number' || !(margin >= 0 && margin < 1))
    throw new OptionRangeError('margin', `${OWNER}: margin must be a number in [0, 1)`);
  const keyPrefix = stringOption(OWNER, 'keyPrefix', o.keyPrefix, {
    default: 'resil:',
    pattern: /^[^{}]*$/,
    describe: 'without "{" or "}" (they would move the hash tag of its keys)',
  });
  const r = redisOption(OWNER, o.redis);
  const logger = resolveLogger(OWNER, 'resil.ratelimit', o.logger);
  const telemetry = createTelemetry({
    strategy: 'ratelimit',
    pipeline: name,
    scope: '@resil/ratelimit',
  });
  const grantedEvents = new EventEmitter<GrantedEvent>();
  const refusedEvents = new EventEmitter<RefusedEvent>();
  const degradedEvents = new EventEmitter<StoreDegradedEvent>();
  const restoredEvents = new EventEmitter<StoreRestoredEvent>();

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
  const lease = r === undefined ? undefined : leaseClient(r);
  const client = lease?.client;
  // `${keyPrefix}{ratelimit:${name}}:gcra` and `:log`: both keys share the hash tag
  const keys = keyBuilder(keyPrefix, 'ratelimit');
  const stateKey = keys.key(name, 'gcra');
  const logKey = keys.key(name, 'log');
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
  // Any failed command (not only an outage) sends callers to memory for a second: the limiter
  // never rejects because of Redis.
  const bounded = client
    ? new BoundedRedis(client, {
        timeoutMs: commandTimeoutMs,
        backoffMs: 1000,
        isOutage: () => true,
      })
    : undefined;
  let closed = false;
  if (bounded)
    reportStoreHealth(bounded, {
      logger,
      telemetry,
      degradedMessage: 'rate limiter: Redis unavailable, limiting in this process',
      restoredMessage: 'rate limiter: Redis available again, limit shared again',
      fields: { name },
      degradedFields: { fallbackPoints, durationMs },
      onDegraded: ({ reason }) => {
        memory.fence(performance.now() + quarantineMs);
        if (degradedEvents.size > 0) degradedEvents.emit({ name, reason });
      },
      onRestored: ({ downMs }) => {
        if (restoredEvents.size > 0) restoredEvents.emit({ name, downMs });
      },
    });

  const granted = (cost: number, started: number): void => {
    if (grantedEvents.size > 0)
      grantedEvents.emit({ name, cost, waitedMs: Math.max(0, performance.now() - started) });
    telemetry.event('granted');
  };
  const refused = (cost: number, code: string): void => {
    if (refusedEvents.size > 0) refusedEvents.emit({ name, cost, code });
    telemetry.event('refused', { severity: 'warning' });
  };

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
      const reply = (await bounded.tryRun((c) =>
        GCRA_SCRIPT.run(
          c,
          [stateKey, logKey],
          [
            interval,
            Math.min(maxWait, horizonMs),
            cost,
            burst,
            points,
            windowMs,
            fenceMs,
            fenceIfMissingMs,
          ],
        ),
      )) as [string, number] | undefined;
      if (reply) {
        lossesSeen = lossCount;
        const waitMs = Number(reply[0]);
        const ok = Number(reply[1]) === 1;
        if (ok) lastGrant = Math.max(lastGrant, asked + waitMs);
        return { waitMs, granted: ok, retryMs: ok ? 0 : Math.max(1, waitMs - horizonMs) };
      }
      // Redis away: memory grants only at once (a reservation would outlive Redis's return)
      const m = memory.take(0, cost);
      if (m.granted) lastMemoryGrant = lastGrant = asked;
      return { ...m, retryMs: m.granted ? 0 : Math.min(m.waitMs, 250) };
    }
    return { ...memory.take(maxWait, cost), retryMs: 0 };
  };

  const acquire = async (opts: AcquireOptions, cost: number): Promise<void> => {
    const { signal } = opts;
    const timeoutMs = opts.timeoutMs ?? 60_000;
    if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0))
      throw new RangeError('acquire: timeoutMs must be a number >= 0');
    if (!Number.isInteger(cost) || cost < 1 || cost > points)
      throw new RangeError(`acquire: cost must be an integer from 1 to points (${points})`);
    if (signal?.aborted) throw new RateLimitAbortError(name, signal.reason);
    if (waiting >= maxQueue) throw new RateLimitQueueFullError(name, maxQueue);
    waiting++;
    try {
      const started = performance.now();
      const deadline = started + timeoutMs;
      for (;;) {
        const patience = Math.max(0, deadline - performance.now());
        const { waitMs, granted: ok, retryMs } = await take(patience, cost);
        if (signal?.aborted && !ok) throw new RateLimitAbortError(name, signal.reason);
        if (ok) {
          if (signal?.aborted) throw new RateLimitAbortError(name, signal.reason);
          if (waitMs > 0) await sleep(waitMs, signal, name);
          granted(cost, started);
          return;
        }
        if (waitMs > patience || retryMs <= 0) throw new RateLimitTimeoutError(name, waitMs);
        await sleep(retryMs, signal, name);
      }
    } finally {
      waiting--;
    }
  };

  const limiter = {
    name,
    points,
    durationMs,
    storage: client ? ('redis' as const) : ('memory' as const),
    get degraded() {
      return bounded ? closed || bounded.degraded : false;
    },
    get waiting() {
      return waiting;
    },
    async acquire(opts: AcquireOptions = {}) {
      const cost = opts.cost ?? 1;
      try {
        await acquire(opts, cost);
      } catch (err) {
        // a refusal of this package (an argument error is the caller's mistake, no refusal)
        if (isRateLimitError(err)) refused(cost, err.code);
        throw err;
      }
    },
    async tryAcquire(cost = 1) {
      if (!Number.isInteger(cost) || cost < 1 || cost > points)
        throw new RangeError(`tryAcquire: cost must be an integer from 1 to points (${points})`);
      const started = performance.now();
      const ok = (await take(0, cost)).granted;
      if (ok) granted(cost, started);
      else refused(cost, ERROR_CODES.TIMEOUT);
      return ok;
    },
    onGranted: grantedEvents.event,
    onRefused: refusedEvents.event,
    onDegraded: degradedEvents.event,
    onRestored: restoredEvents.event,
  };
  return makeCloseable(limiter, async () => {
    closed = true;
    // from now on this process limits in memory, while others may still hold slots in Redis
    if (bounded) memory.fence(performance.now() + quarantineMs);
    for (const e of [grantedEvents, refusedEvents, degradedEvents, restoredEvents]) e.clear();
    await bounded?.close();
    await lease?.release();
  });
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
