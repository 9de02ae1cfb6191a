import { CORE_ERROR_CODES, RedisUnavailableError } from '../errors';
import { type Event, EventEmitter } from '../events';
import { Resource } from '../lifecycle';
import { checkOptions, functionOption, integerOption } from '../options';
import {
  clientStatus,
  isNodeRedisErrorReply,
  type NodeRedisLike,
  onClientReady,
  type RedisClient,
} from './node-redis';
import { CONNECTING_STATUSES } from './types';

/**
 * What the bounded caller needs of an ioredis-shaped client: its status and its `ready` event.
 * A node-redis client or cluster (`NodeRedisLike`) is accepted too: its state is read from
 * `isOpen`/`isReady` (see `clientStatus`), its ready events are `ready` (a cluster: `connect`,
 * `node-ready`).
 */
export interface BoundedClient {
  readonly status: string;
  // biome-ignore lint/suspicious/noExplicitAny: event listeners of any shape
  on(event: string, listener: (...args: any[]) => void): unknown;
  // biome-ignore lint/suspicious/noExplicitAny: event listeners of any shape
  off(event: string, listener: (...args: any[]) => void): unknown;
}

export interface BoundedRedisOptions {
  /** Longest wait for one command, in ms. @default 300 */
  timeoutMs?: number;
  /** After a failure or timeout, how long calls fail fast without touching Redis, in ms. @default 1000 */
  backoffMs?: number;
  /**
   * Which errors mean Redis is unusable (they start a back-off). Others (a script's own error,
   * WRONGTYPE) are Redis answering: they reject as they are and do not degrade.
   * @default everything but a Redis reply error, except LOADING, BUSY, MASTERDOWN, CLUSTERDOWN and TRYAGAIN
   */
  isOutage?: (error: unknown) => boolean;
}

/** Why the caller became degraded. */
export interface DegradedEvent {
  /** `timeout`: no answer in time; `failed`: a command failed; `unavailable`: not connected. */
  readonly reason: 'timeout' | 'failed' | 'unavailable';
  readonly code: string;
}

export interface RestoredEvent {
  /** How long the caller was degraded, in ms. */
  readonly downMs: number;
}

export interface RunOptions {
  /** This call's time limit, in ms. @default the caller's timeoutMs */
  timeoutMs?: number;
  /** Stops waiting (rejects with the signal's reason; not counted as a Redis failure). */
  signal?: AbortSignal;
}

const OUTAGE_REPLIES = /^(LOADING|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN)\b/;

/**
 * The default `isOutage`: anything but an error reply of a Redis that works. An error reply is
 * ioredis's `ReplyError` or node-redis's `ErrorReply` (`SimpleError`, `BlobError`); everything
 * else (node-redis `ClientClosedError`, `SocketClosedUnexpectedlyError`, `ConnectionTimeoutError`,
 * a socket error, ioredis's "Connection is closed") means Redis was not usable.
 */
export function isRedisOutage(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return true;
  const e = error as { name?: unknown; message?: unknown };
  if (e.name !== 'ReplyError' && !isNodeRedisErrorReply(error)) return true;
  return typeof e.message === 'string' && OUTAGE_REPLIES.test(e.message);
}

const KNOWN = ['timeoutMs', 'backoffMs', 'isOutage'];

/**
 * Runs Redis commands with a time limit each, never queueing them while the client is
 * disconnected. After a failure or a timeout, calls fail fast with `RedisUnavailableError`
 * (`RESIL_CORE_REDIS_UNAVAILABLE`) for `backoffMs` without touching Redis; then exactly one call
 * probes Redis while the others keep failing fast, so a paused Redis costs at most one bounded
 * wait per back-off period. A success after a failure restores the caller.
 *
 * Degraded and restored are events (`onDegraded`, `onRestored`), each emitted once per change.
 * `close()` releases the listener on the client (the client itself belongs to its owner).
 */
export class BoundedRedis<
  C extends BoundedClient | NodeRedisLike = BoundedClient,
> extends Resource {
  readonly client: C;
  readonly timeoutMs: number;
  readonly backoffMs: number;
  readonly #isOutage: (error: unknown) => boolean;
  readonly #degradedEvents = new EventEmitter<DegradedEvent>();
  readonly #restoredEvents = new EventEmitter<RestoredEvent>();
  /** Fired when the caller becomes degraded (once per change). */
  readonly onDegraded: Event<DegradedEvent> = this.#degradedEvents.event;
  /** Fired when a command succeeds again after a degradation. */
  readonly onRestored: Event<RestoredEvent> = this.#restoredEvents.event;
  #degraded = false;
  #degradedAt = 0;
  #retryAt = 0;
  #probing = false;
  readonly #offReady: () => void;
  readonly #onReady = () => {
    // The connection is back: let the next call probe at once rather than wait out the back-off.
    if (this.#degraded) this.#retryAt = 0;
  };

  constructor(client: C, options: BoundedRedisOptions = {}) {
    super();
    const o = checkOptions('BoundedRedis', options, KNOWN);
    this.client = client;
    this.timeoutMs = integerOption('BoundedRedis', 'timeoutMs', o.timeoutMs, {
      default: 300,
      min: 1,
    });
    this.backoffMs = integerOption('BoundedRedis', 'backoffMs', o.backoffMs, {
      default: 1000,
      min: 0,
    });
    this.#isOutage = functionOption('BoundedRedis', 'isOutage', o.isOutage, isRedisOutage) as (
      error: unknown,
    ) => boolean;
    this.#offReady = onClientReady(client as RedisClient, this.#onReady);
  }

  /** True from a failure until a command succeeds again. */
  get degraded(): boolean {
    return this.#degraded;
  }

  /** True when a call made now would be sent to Redis (not closed, connected, no back-off running). */
  usable(): boolean {
    if (this.closed) return false;
    const status = clientStatus(this.client as RedisClient);
    if (status === 'ready')
      return !this.#degraded || (!this.#probing && Date.now() >= this.#retryAt);
    return !this.#degraded && CONNECTING_STATUSES.has(status);
  }

  /**
   * The command's reply. Rejects with `RedisUnavailableError` when Redis was not asked
   * (`unavailable`, `closed`), did not answer in time (`timeout`) or failed (`failed`, the error
   * as `cause`); an error reply that is no outage rejects as it is.
   */
  async run<T>(call: (client: C) => Promise<T>, options: RunOptions = {}): Promise<T> {
    if (this.closed) throw new RedisUnavailableError('closed');
    options.signal?.throwIfAborted();
    const status = clientStatus(this.client as RedisClient);
    let probe = false;
    if (status === 'ready') {
      if (this.#degraded) {
        if (this.#probing || Date.now() < this.#retryAt)
          throw new RedisUnavailableError('unavailable');
        probe = true;
        this.#probing = true;
      }
    } else if (this.#degraded || !CONNECTING_STATUSES.has(status)) {
      this.#fail('unavailable');
      throw new RedisUnavailableError('unavailable');
    }
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    let outcome = 'ok' as 'ok' | 'timeout' | 'abort' | 'error';
    try {
      const pending = Promise.resolve().then(() => call(this.client));
      pending.catch(() => {}); // a reply that arrives after the time limit is dropped
      const reply = await new Promise<T>((resolve, reject) => {
        timer = setTimeout(() => {
          outcome = 'timeout';
          // bookkeeping now, not in a later microtask: the back-off starts at the time-out
          this.#fail('timeout');
          reject(new RedisUnavailableError('timeout', { timeoutMs }));
        }, timeoutMs);
        timer.unref?.();
        if (options.signal) {
          const signal = options.signal;
          onAbort = () => {
            outcome = 'abort';
            reject(signal.reason);
          };
          signal.addEventListener('abort', onAbort, { once: true });
        }
        pending.then(resolve, (err: unknown) => {
          outcome = 'error';
          reject(err);
        });
      });
      this.#succeed();
      return reply;
    } catch (err) {
      if (outcome === 'timeout' || outcome === 'abort') throw err;
      if (this.#isOutage(err)) {
        this.#fail('failed');
        throw new RedisUnavailableError('failed', { cause: err });
      }
      this.#succeed(); // Redis answered, with an error of the command's own
      throw err;
    } finally {
      clearTimeout(timer);
      if (onAbort) options.signal?.removeEventListener('abort', onAbort);
      if (probe) this.#probing = false;
    }
  }

  /** Like `run`, but resolves undefined where `run` rejects with a RedisUnavailableError. */
  async tryRun<T>(
    call: (client: C) => Promise<T>,
    options: RunOptions = {},
  ): Promise<T | undefined> {
    try {
      return await this.run(call, options);
    } catch (err) {
      if (err instanceof RedisUnavailableError) return undefined;
      throw err;
    }
  }

  #succeed(): void {
    if (!this.#degraded) return;
    this.#degraded = false;
    this.#retryAt = 0;
    this.#restoredEvents.emit({ downMs: Math.max(0, Date.now() - this.#degradedAt) });
  }

  #fail(reason: DegradedEvent['reason']): void {
    this.#retryAt = Date.now() + this.backoffMs;
    if (this.#degraded) return;
    this.#degraded = true;
    this.#degradedAt = Date.now();
    const code =
      reason === 'timeout'
        ? CORE_ERROR_CODES.REDIS_TIMEOUT
        : reason === 'failed'
          ? CORE_ERROR_CODES.REDIS_FAILED
          : CORE_ERROR_CODES.REDIS_UNAVAILABLE;
    this.#degradedEvents.emit({ reason, code });
  }

  protected onClose(): void {
    this.#offReady();
    this.#degradedEvents.clear();
    this.#restoredEvents.clear();
  }
}
