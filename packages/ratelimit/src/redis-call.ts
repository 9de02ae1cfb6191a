import { type Cluster, Redis } from 'ioredis';

/** What the limiters need of an ioredis client: `Redis` and `Cluster` both fit. */
export type RedisLike = Redis | Cluster;

/**
 * Runs one Redis command with a bounded wait, never queueing it while the client is
 * disconnected: a dead or paused Redis costs a caller at most `timeoutMs`, and after a failure
 * Redis is not asked again for `retryMs` (the callers use their in-memory fallback meanwhile).
 */
export class BoundedRedis {
  readonly client: RedisLike;
  readonly timeoutMs: number;
  #retryAt = 0;
  #degraded = false;
  readonly #onChange: (degraded: boolean) => void;

  constructor(client: RedisLike, timeoutMs: number, onChange: (degraded: boolean) => void) {
    this.client = client;
    this.timeoutMs = timeoutMs;
    this.#onChange = onChange;
  }

  get degraded(): boolean {
    return this.#degraded;
  }

  usable(): boolean {
    const status = this.client.status;
    if (status === 'ready') return !this.#degraded || Date.now() >= this.#retryAt;
    // The first connection may still be in progress: a command may wait for it (bounded).
    if (!this.#degraded && (status === 'wait' || status === 'connecting' || status === 'connect'))
      return true;
    this.#fail();
    return false;
  }

  /** The command's reply, or undefined when Redis is unusable, failed or too slow. */
  async run<T>(call: (client: RedisLike) => Promise<T>): Promise<T | undefined> {
    if (!this.usable()) return undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      const reply = await Promise.race([
        call(this.client),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('redis timeout')), this.timeoutMs);
        }),
      ]);
      if (this.#degraded) {
        this.#degraded = false;
        this.#onChange(false);
      }
      return reply;
    } catch {
      this.#fail();
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  #fail(): void {
    this.#retryAt = Date.now() + 1000;
    if (this.#degraded) return;
    this.#degraded = true;
    this.#onChange(true);
  }
}

export function isRedisLike(v: unknown): v is RedisLike {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { defineCommand?: unknown }).defineCommand === 'function' &&
    typeof (v as { status?: unknown }).status === 'string'
  );
}

let sharedLogger: import('@resil/safe-log').SafeLogger | undefined;

/** The package's default logger, made on first use. */
export function packageLogger(make: () => import('@resil/safe-log').SafeLogger) {
  sharedLogger ??= make();
  return sharedLogger;
}

/**
 * Deadlines for many in-flight calls on one interval timer (resolution: a quarter of the
 * timeout): cheaper than a timer per call on the hot path. The interval stops when nothing waits.
 */
export class Deadlines {
  readonly #pending = new Set<{ at: number; fire: () => void }>();
  readonly #resolutionMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(timeoutMs: number) {
    this.#resolutionMs = Math.max(5, Math.floor(timeoutMs / 4));
  }

  /** Calls `fire` once `ms` have passed, unless the returned cancel function is called first. */
  add(ms: number, fire: () => void): () => void {
    const entry = { at: performance.now() + ms, fire };
    this.#pending.add(entry);
    if (!this.#timer) {
      this.#timer = setInterval(() => this.#sweep(), this.#resolutionMs);
      this.#timer.unref();
    }
    return () => {
      this.#pending.delete(entry);
    };
  }

  /** Resolves with the promise's value, or with 'timeout' once `ms` have passed. */
  race<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
    return new Promise((resolve, reject) => {
      const cancel = this.add(ms, () => resolve('timeout'));
      promise.then(
        (v) => {
          cancel();
          resolve(v);
        },
        (e: unknown) => {
          cancel();
          reject(e);
        },
      );
    });
  }

  #sweep(): void {
    const now = performance.now();
    for (const e of this.#pending) {
      if (e.at <= now) {
        this.#pending.delete(e);
        e.fire();
      }
    }
    if (this.#pending.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
}

/**
 * The client for a `redis` option: the caller's own, or one made from a URL (at most one
 * reconnect-time retry per command, errors reported through the limiter's own logging).
 */
export function clientFor(redis: RedisLike | string | undefined): RedisLike | undefined {
  if (typeof redis !== 'string') return redis;
  const client = new Redis(redis, { maxRetriesPerRequest: 1, enableOfflineQueue: true });
  client.on('error', () => {});
  return client;
}

const losses = new WeakMap<RedisLike, { count: number }>();

/**
 * How many times the client has lost its connection (a `close`, or for a Cluster a node error
 * or a node gone) since the first call for this client: a change means Redis may have restarted
 * and lost its data. One listener per client, however many limiters share it.
 */
export function connectionLosses(client: RedisLike): { readonly count: number } {
  let entry = losses.get(client);
  if (!entry) {
    const e = { count: 0 };
    const bump = () => {
      e.count++;
    };
    client.on('close', bump);
    client.on('-node', bump);
    client.on('node error', bump);
    losses.set(client, e);
    entry = e;
  }
  return entry;
}
