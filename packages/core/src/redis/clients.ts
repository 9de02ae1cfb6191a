import { optionalRequire } from '../internal/optional';
import type { Closeable } from '../lifecycle';
import {
  bounded,
  isNodeRedisClient,
  type NodeRedisLike,
  quitNodeRedis,
  type RedisClient,
} from './node-redis';
import type { RedisLike } from './types';

/** A hold on a client: `release()` (or `close()`, `await using`) gives it back once. */
export interface ClientLease<C extends RedisClient = RedisLike> extends Closeable {
  readonly client: C;
  /** True when the lease shares a client made from a URL (false: the caller's own client). */
  readonly owned: boolean;
  /** Gives the client back; the last release of a URL's client quits it. Idempotent. */
  release(): Promise<void>;
}

export interface ClientPoolOptions<C extends RedisClient> {
  /**
   * Makes the client for a URL: an ioredis client, or a node-redis one (see `nodeRedisClients()`).
   * @default ioredis `new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: true })` with an
   * `error` listener (errors reach callers through BoundedRedis, never an unhandled 'error')
   */
  create?: (url: string) => C;
  /** Longest wait for QUIT on the last release before the connection is dropped, in ms. @default 1000 */
  quitTimeoutMs?: number;
}

function createIoredis(url: string): RedisLike {
  const mod = optionalRequire<{ Redis: new (url: string, options: object) => RedisLike }>(
    'ioredis',
  );
  if (!mod)
    throw new TypeError(
      'redis: a URL needs the ioredis package (npm install ioredis), or pass a client',
    );
  const client = new mod.Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: true });
  client.on('error', () => {});
  return client;
}

/**
 * Quits a client, bounded: QUIT when connected (at most `timeoutMs`), then disconnect, and waits
 * (at most `timeoutMs` again) until the client reports `end`. A node-redis client or cluster:
 * `close()` when ready (v4: `quit()`), then `destroy()` (v4: `disconnect()`) if still open.
 */
export async function quitClient(client: RedisClient, timeoutMs = 1000): Promise<void> {
  if (isNodeRedisClient(client)) return quitNodeRedis(client, timeoutMs);
  if (client.status === 'end') return;
  let onEnd: () => void = () => {};
  const ended = new Promise<void>((resolve) => {
    onEnd = resolve;
  });
  client.on('end', onEnd);
  try {
    if (client.status === 'ready') await bounded(client.quit(), timeoutMs);
    if (client.status !== 'end') {
      client.disconnect();
      if (client.status !== 'end') await bounded(ended, timeoutMs);
    }
  } finally {
    client.off('end', onEnd);
  }
}

/**
 * One client per URL in this process, counted: `acquire(url)` makes it on first use, every
 * lease shares it, and the last `release()` quits it. The URL (it may hold a password) is never
 * logged or put in an error.
 */
export class ClientPool<C extends RedisClient = RedisLike> {
  readonly #entries = new Map<string, { client: C; refs: number }>();
  readonly #create: (url: string) => C;
  readonly #quitTimeoutMs: number;

  constructor(options: ClientPoolOptions<C> = {}) {
    this.#create = options.create ?? (createIoredis as unknown as (url: string) => C);
    this.#quitTimeoutMs = options.quitTimeoutMs ?? 1000;
  }

  /** The shared client of `url`, made on first use. */
  acquire(url: string): ClientLease<C> {
    if (typeof url !== 'string' || url.length === 0)
      throw new TypeError('ClientPool.acquire: url must be a non-empty string');
    let entry = this.#entries.get(url);
    if (!entry) {
      entry = { client: this.#create(url), refs: 0 };
      this.#entries.set(url, entry);
    }
    entry.refs++;
    const e = entry;
    let released: Promise<void> | undefined;
    const release = () => {
      released ??= this.#release(url, e);
      return released;
    };
    return {
      client: e.client,
      owned: true,
      release,
      close: release,
      [Symbol.asyncDispose]: release,
    };
  }

  /** How many leases hold the client of `url` (0: none is open). */
  refs(url: string): number {
    return this.#entries.get(url)?.refs ?? 0;
  }

  /** How many URLs have a client open. */
  get size(): number {
    return this.#entries.size;
  }

  async #release(url: string, entry: { client: C; refs: number }): Promise<void> {
    entry.refs--;
    if (entry.refs > 0) return;
    if (this.#entries.get(url) === entry) this.#entries.delete(url);
    await quitClient(entry.client, this.#quitTimeoutMs);
  }
}

/** The process-wide pool behind `leaseClient`. */
export const sharedClients: ClientPool = new ClientPool();

/**
 * The client for a package's `redis` option: a URL is leased from `sharedClients` (one client per
 * URL, quit by the last release); a client the caller passed (ioredis or node-redis) is used as
 * it is, and releasing its lease does nothing (it belongs to the caller).
 */
export function leaseClient<C extends RedisClient>(
  redis: C | string,
  // biome-ignore lint/suspicious/noExplicitAny: a pool of any client kind
  pool: ClientPool<any> = sharedClients,
): ClientLease<C> {
  if (typeof redis === 'string') return pool.acquire(redis) as unknown as ClientLease<C>;
  const done = () => Promise.resolve();
  return { client: redis, owned: false, release: done, close: done, [Symbol.asyncDispose]: done };
}

/** Options of `nodeRedisClients`: passed to node-redis `createClient` with the URL. */
export interface NodeRedisClientsOptions {
  /** Extra `createClient` options (`RESP`, `socket`, …), merged under `url`. @default {} */
  clientOptions?: Record<string, unknown>;
}

/**
 * A `ClientPool` `create` that makes node-redis clients: `createClient({ url, ...clientOptions })`
 * from the application's own `redis` package (loaded when called; core does not depend on it),
 * with an `error` listener (node-redis throws an unhandled `error` otherwise; errors reach callers
 * through BoundedRedis) and `connect()` started (node-redis does not connect by itself; until it
 * is ready the client reports `connecting`).
 *
 *   const pool = new ClientPool({ create: nodeRedisClients() });
 */
export function nodeRedisClients(
  options: NodeRedisClientsOptions = {},
): (url: string) => NodeRedisLike {
  const extra = options.clientOptions ?? {};
  return (url: string) => {
    const mod = optionalRequire<{ createClient: (o: object) => NodeRedisLike }>('redis');
    if (!mod)
      throw new TypeError(
        'nodeRedisClients: the redis package is not installed (npm install redis), or pass a client',
      );
    const client = mod.createClient({ ...extra, url });
    client.on('error', () => {});
    (client as unknown as { connect(): Promise<unknown> }).connect().catch(() => {});
    return client;
  };
}
