import { randomUUID } from 'node:crypto';
import {
  BoundedRedis,
  type CallContext,
  type ClientLease,
  type Closeable,
  checkOptions,
  createTelemetry,
  deriveContext,
  type Event,
  EventEmitter,
  integerOption,
  keyBuilder,
  type Logger,
  leaseClient,
  OptionTypeError,
  type RedisClient,
  RedisUnavailableError,
  reportStoreHealth,
  resolveLogger,
  splitContext,
  stringOption,
  untilAborted,
} from '@resil/core';
import { BulkheadClosedError, BulkheadFullError } from './errors';
import { ACQUIRE, RELEASE, RENEW } from './scripts';

export interface BulkheadOptions {
  /** Names the bulkhead: workers sharing a name (and Redis) share the limit. Required. */
  name: string;
  /** Calls in flight at most (across every worker with `redis`). Required, integer >= 1. */
  limit: number;
  /** Callers that may wait for a slot (in this process); one more is rejected. @default 0 */
  queue?: number;
  /** Shares the limit across workers: an ioredis or node-redis client or cluster, or a URL. @default none (this process only) */
  redis?: RedisClient | string;
  /** Prefix of the Redis key. @default 'resil:' */
  keyPrefix?: string;
  /** A slot's lease in Redis, renewed every leaseMs / 3 while the call runs; a killed worker's slots come back after it. @default 30000 */
  leaseMs?: number;
  /** How often a queued caller asks Redis again for a slot freed by another worker, in ms. @default 50 */
  pollMs?: number;
  /** Longest wait for one Redis command, in ms. @default 300 */
  commandTimeoutMs?: number;
  /** Workers sharing the limit: while Redis is unreachable, each allows floor(limit / expectedWorkers) (at least 1). @default 1 */
  expectedWorkers?: number;
  /** Where degradation (warn) and restoration (info) are logged, or false. @default core's codeLogger('resil.bulkhead') */
  logger?: Logger | false;
}

/** Payload of `onRejected`. */
export interface RejectedNotice {
  name: string;
  /** `full`: every slot taken and the queue full; `closed`: the bulkhead was closed. */
  reason: 'full' | 'closed';
}
/** Payload of `onDegraded`: Redis became unusable; limiting per process (floor(limit / expectedWorkers)). */
export interface BulkheadDegradedNotice {
  name: string;
  reason: 'timeout' | 'failed' | 'unavailable';
  code: string;
  /** The limit of this process while degraded. */
  localLimit: number;
}
/** Payload of `onRestored`. */
export interface BulkheadRestoredNotice {
  name: string;
  downMs: number;
}
/** Payload of `onLeaseLost`: leases of running calls had expired when renewed (the process stalled longer than leaseMs). */
export interface LeaseLostNotice {
  name: string;
  count: number;
}

export interface BulkheadEvents {
  /** A call was refused (RESIL_BULKHEAD_FULL or RESIL_BULKHEAD_CLOSED). Telemetry `rejected`. */
  readonly onRejected: Event<RejectedNotice>;
  /** Redis became unusable. Telemetry `store-degraded`. */
  readonly onDegraded: Event<BulkheadDegradedNotice>;
  /** Redis answers again: the limit is shared again. Telemetry `store-restored`. */
  readonly onRestored: Event<BulkheadRestoredNotice>;
  /** Running calls lost their lease (their slots were counted free by the others). Telemetry `lease-lost`. */
  readonly onLeaseLost: Event<LeaseLostNotice>;
}

/** State and lifecycle of a bulkhead. */
export interface BulkheadState extends Closeable {
  readonly name: string;
  readonly limit: number;
  readonly queue: number;
  /** `redis` when the limit is shared, else `memory`. */
  readonly storage: 'redis' | 'memory';
  /** Calls of this process holding a slot now. */
  readonly inFlight: number;
  /** Callers of this process waiting for a slot now. */
  readonly queued: number;
  /** True while Redis is unusable (limiting per process). */
  readonly degraded: boolean;
  /** Runs `fn` in a slot; it receives the call context. */
  execute<T>(fn: (context: CallContext) => Promise<T> | T, context?: CallContext): Promise<T>;
}

// biome-ignore lint/suspicious/noExplicitAny: a wrapper accepts any async function
type AnyAsyncFn = (this: any, ...args: any[]) => Promise<any>;

/** What `bulkhead()` returns: a wrapper for a function (like `retryable()`), its events and state. */
export type Bulkhead = (<F extends AnyAsyncFn>(fn: F) => F) & BulkheadEvents & BulkheadState;

interface Slot {
  token: string | undefined;
  released: boolean;
}

interface Waiter {
  grant(slot: Slot): void;
  reject(error: unknown): void;
  gone: boolean;
}

const OWNER = 'bulkhead';
const KNOWN = new Set([
  'name',
  'limit',
  'queue',
  'redis',
  'keyPrefix',
  'leaseMs',
  'pollMs',
  'commandTimeoutMs',
  'expectedWorkers',
  'logger',
]);
const NO_BRACES = /^[^{}]*$/;

/**
 * A bulkhead: at most `limit` calls in flight, `queue` more waiting, the rest rejected at once with
 * `BulkheadFullError` (`RESIL_BULKHEAD_FULL`). With `redis`, the limit holds across every worker
 * (a semaphore of leases with owner tokens in one sorted set; a killed worker's slots come back
 * after `leaseMs`); while Redis is unusable each process allows floor(limit / expectedWorkers).
 *
 *   const guard = bulkhead({ name: 'hospital-api', limit: 10, queue: 20, redis });
 *   const get = guard(async (id: string, { signal }: CallContext) => fetch(url(id), { signal }));
 */
export function bulkhead(options: BulkheadOptions): Bulkhead {
  const o = checkOptions(OWNER, options ?? (null as never), KNOWN);
  const name = stringOption(OWNER, 'name', o.name, {
    minLength: 1,
    maxLength: 200,
    pattern: NO_BRACES,
    describe: 'a string without { or }',
  });
  const int = (option: keyof BulkheadOptions, fallback: number | undefined, min: number) =>
    integerOption(OWNER, option, o[option], {
      min,
      ...(fallback === undefined ? {} : { default: fallback }),
    });
  const limit = int('limit', undefined, 1);
  const queue = int('queue', 0, 0);
  const leaseMs = int('leaseMs', 30_000, 30);
  const pollMs = int('pollMs', 50, 1);
  const commandTimeoutMs = int('commandTimeoutMs', 300, 1);
  const expectedWorkers = int('expectedWorkers', 1, 1);
  const keyPrefix = stringOption(OWNER, 'keyPrefix', o.keyPrefix, {
    default: 'resil:',
    pattern: NO_BRACES,
    describe: 'a string without { or } (they would move the hash tag of the key)',
  });
  const redis = 'redis' in (options as object) ? options.redis : undefined;
  if (
    redis !== undefined &&
    !(typeof redis === 'string' && redis.length > 0) &&
    !(typeof redis === 'object' && redis !== null)
  )
    throw new OptionTypeError(
      'RESIL_CORE_OPTION_TYPE',
      'redis',
      `${OWNER}: redis must be an ioredis or node-redis client or cluster, or a URL`,
    );
  const logger = resolveLogger(OWNER, 'resil.bulkhead', o.logger);
  const telemetry = createTelemetry({
    strategy: 'bulkhead',
    pipeline: name,
    scope: '@resil/bulkhead',
  });
  const localLimit = Math.max(1, Math.floor(limit / expectedWorkers));
  const lease: ClientLease<RedisClient> | undefined =
    redis === undefined ? undefined : leaseClient(redis);
  const bounded = lease
    ? new BoundedRedis(lease.client, { timeoutMs: commandTimeoutMs, backoffMs: 1000 })
    : undefined;
  const key = keyBuilder(keyPrefix, 'bulkhead').key(name, 'leases');

  const rejected = new EventEmitter<RejectedNotice>();
  const degradedEvents = new EventEmitter<BulkheadDegradedNotice>();
  const restoredEvents = new EventEmitter<BulkheadRestoredNotice>();
  const leaseLost = new EventEmitter<LeaseLostNotice>();

  if (bounded)
    reportStoreHealth(bounded, {
      logger,
      telemetry,
      degradedMessage: 'bulkhead: Redis unavailable, limiting in this process',
      restoredMessage: 'bulkhead: Redis available again, limit shared again',
      fields: { name },
      degradedFields: { localLimit },
      onDegraded: ({ reason, code }) => degradedEvents.emit({ name, reason, code, localLimit }),
      onRestored: ({ downMs }) => restoredEvents.emit({ name, downMs }),
    });

  let active = 0;
  let closed = false;
  const waiters: Waiter[] = [];
  const held = new Set<string>();
  let renewTimer: NodeJS.Timeout | undefined;
  let pollTimer: NodeJS.Timeout | undefined;
  let pumping = false;

  const takeLocal = (max: number): Slot | undefined => {
    if (active >= max) return undefined;
    active++;
    return { token: undefined, released: false };
  };

  const renew = async (): Promise<void> => {
    if (!bounded || held.size === 0) return;
    const tokens = [...held];
    const lost = (await bounded
      .tryRun((c) => RENEW.run(c, [key], [leaseMs, ...tokens]))
      .catch(() => undefined)) as unknown[] | undefined;
    if (!Array.isArray(lost) || lost.length === 0) return;
    logger.warn('bulkhead: running calls lost their lease', {
      event: 'lease-lost',
      name,
      count: lost.length,
    });
    leaseLost.emit({ name, count: lost.length });
    telemetry.event('lease-lost', { severity: 'warning' });
  };

  const startRenewing = () => {
    if (renewTimer !== undefined || closed) return;
    renewTimer = setInterval(() => void renew(), Math.max(1, Math.floor(leaseMs / 3)));
    renewTimer.unref?.();
  };

  /** A slot now, or undefined when every slot is taken. */
  const tryTake = async (): Promise<Slot | undefined> => {
    if (!bounded) return takeLocal(limit);
    const token = randomUUID();
    // Counted before the answer: while it is pending, a degraded path must see it.
    active++;
    try {
      const reply = (await bounded.run((c) =>
        ACQUIRE.run(c, [key], [token, limit, leaseMs]),
      )) as unknown[];
      if (Number(reply[0]) !== 1) {
        active--;
        return undefined;
      }
      if (closed) {
        active--;
        void bounded.tryRun((c) => RELEASE.run(c, [key], [token])).catch(() => undefined);
        return undefined;
      }
      held.add(token);
      startRenewing();
      return { token, released: false };
    } catch (err) {
      active--;
      if (!(err instanceof RedisUnavailableError)) throw err;
      // Redis unusable: this process's share of the limit, counting every call it runs.
      return takeLocal(localLimit);
    }
  };

  const release = (slot: Slot): void => {
    if (slot.released) return;
    slot.released = true;
    active--;
    if (slot.token !== undefined && bounded) {
      held.delete(slot.token);
      if (held.size === 0 && renewTimer !== undefined) {
        clearInterval(renewTimer);
        renewTimer = undefined;
      }
      const token = slot.token;
      void bounded.tryRun((c) => RELEASE.run(c, [key], [token])).catch(() => undefined);
    }
    void pump();
  };

  /** Grants freed slots to queued callers, first come first served (in this process). */
  const pump = async (): Promise<void> => {
    if (pumping) return;
    pumping = true;
    try {
      while (waiters.length > 0 && !closed) {
        const slot = await tryTake().catch(() => undefined);
        if (slot === undefined) break;
        let waiter = waiters.shift();
        while (waiter?.gone) waiter = waiters.shift();
        if (waiter === undefined) {
          release(slot);
          break;
        }
        waiter.gone = true;
        waiter.grant(slot);
      }
    } finally {
      pumping = false;
    }
    // Slots freed by other workers are seen by asking again (a local release pumps at once).
    if (waiters.length > 0 && !closed && bounded && pollTimer === undefined) {
      pollTimer = setTimeout(() => {
        pollTimer = undefined;
        void pump();
      }, pollMs);
    }
  };

  const refuse = (reason: RejectedNotice['reason']): Error => {
    if (rejected.size > 0) rejected.emit({ name, reason });
    telemetry.event('rejected', { severity: 'warning', attributes: { reason } });
    return reason === 'full'
      ? new BulkheadFullError(name, limit, queue)
      : new BulkheadClosedError();
  };

  const acquire = async (signal: AbortSignal | undefined): Promise<Slot> => {
    if (closed) throw refuse('closed');
    signal?.throwIfAborted();
    if (waiters.length === 0 || waiters.every((w) => w.gone)) {
      const slot = await tryTake();
      if (slot) {
        if (signal?.aborted) {
          release(slot);
          throw signal.reason;
        }
        return slot;
      }
    }
    const waiting = waiters.reduce((n, w) => n + (w.gone ? 0 : 1), 0);
    if (waiting >= queue) throw refuse('full');
    return new Promise<Slot>((resolve, reject) => {
      const onAbort = () => {
        if (waiter.gone) return;
        waiter.gone = true;
        const i = waiters.indexOf(waiter);
        if (i >= 0) waiters.splice(i, 1);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        gone: false,
        grant: (slot) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(slot);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      waiters.push(waiter);
      void pump();
    });
  };

  const execute = async <T>(
    fn: (context: CallContext) => Promise<T> | T,
    context?: CallContext,
  ): Promise<T> => {
    const signal = context?.signal;
    const slot = await acquire(signal);
    try {
      const ctx = deriveContext(context, {});
      // The caller's abort settles the call and frees the slot at once (the function was told
      // through its signal to stop).
      return await untilAborted(
        Promise.resolve().then(() => fn(ctx)),
        signal,
      );
    } finally {
      release(slot);
    }
  };

  function wrap<F extends AnyAsyncFn>(fn: F): F {
    if (typeof fn !== 'function') throw new TypeError('bulkhead: expected a function to wrap');
    const wrapped = function (this: unknown, ...incoming: unknown[]) {
      const { args, context } = splitContext(incoming);
      return execute((ctx) => fn.apply(this, [...args, ctx]), context);
    };
    Object.defineProperty(wrapped, 'name', { value: fn.name || name, configurable: true });
    return wrapped as unknown as F;
  }

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    clearTimeout(pollTimer);
    clearInterval(renewTimer);
    renewTimer = undefined;
    for (const w of waiters.splice(0)) {
      if (w.gone) continue;
      w.gone = true;
      w.reject(refuse('closed'));
    }
    if (bounded && held.size > 0) {
      const tokens = [...held];
      held.clear();
      await bounded.tryRun((c) => RELEASE.run(c, [key], tokens)).catch(() => undefined);
    }
    await bounded?.close();
    await lease?.release();
    rejected.clear();
    degradedEvents.clear();
    restoredEvents.clear();
    leaseLost.clear();
  };

  const state = {
    onRejected: rejected.event,
    onDegraded: degradedEvents.event,
    onRestored: restoredEvents.event,
    onLeaseLost: leaseLost.event,
    execute,
    close,
    [Symbol.asyncDispose]: close,
  };
  Object.assign(wrap, state);
  const getters: Record<string, () => unknown> = {
    name: () => name,
    limit: () => limit,
    queue: () => queue,
    storage: () => (bounded ? 'redis' : 'memory'),
    inFlight: () => active,
    queued: () => waiters.reduce((n, w) => n + (w.gone ? 0 : 1), 0),
    degraded: () => bounded?.degraded ?? false,
  };
  for (const [k, get] of Object.entries(getters))
    Object.defineProperty(wrap, k, { get, enumerable: true, configurable: true });
  return wrap as unknown as Bulkhead;
}
