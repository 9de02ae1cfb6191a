import {
  clientStatus,
  onClientEnd,
  onClientReady,
  quitClient,
  type RedisClient,
} from '@resil/core';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { createClient, createCluster } from 'redis';

/** The values of `RESIL_REDIS_CLIENT`. */
export type RedisClientKindName = 'ioredis' | 'node-redis' | 'node-redis-resp3';

/** A host and port of a Redis Cluster node. */
export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

/**
 * How the test helpers make their Redis clients: ioredis, node-redis (`redis` v5, RESP2, its
 * default) or node-redis with RESP3 (the default of `redis` v6). Every client made has an
 * `error` listener and its connection started; `quit` closes it, bounded (core's `quitClient`).
 */
export interface RedisClientKind {
  readonly name: RedisClientKindName;
  /**
   * A client of one Redis, connecting (ioredis: `fastFailOptions`). `name`: its connection name
   * (CLIENT SETNAME; ioredis `connectionName`, node-redis `name`), also on its duplicates.
   */
  single(url: string, options?: SingleClientOptions): RedisClient;
  /**
   * A client of a Redis Cluster, connecting. A node-redis cluster knows no slot before its
   * `connect()` resolved: `await untilReady(client)` before sending it commands yourself.
   */
  cluster(nodes: readonly RedisNode[]): RedisClient;
  /** Quits a client of any kind, bounded (core's `quitClient`). */
  quit(client: RedisClient, timeoutMs?: number): Promise<void>;
}

/** Options of `RedisClientKind.single`. */
export interface SingleClientOptions {
  /** The connection name (`CLIENT SETNAME`). @default none */
  readonly name?: string;
}

const KIND_NAMES: readonly RedisClientKindName[] = ['ioredis', 'node-redis', 'node-redis-resp3'];

/** Options that make an ioredis test client fail fast instead of queueing forever. */
export const fastFailOptions: RedisOptions = Object.freeze({
  connectTimeout: 2_000,
  commandTimeout: 5_000,
  maxRetriesPerRequest: 1,
  enableOfflineQueue: true,
});

const quit = (client: RedisClient, timeoutMs = 1_000) => quitClient(client, timeoutMs);

const ioredisKind: RedisClientKind = Object.freeze({
  name: 'ioredis',
  single: (url: string, options: SingleClientOptions = {}) =>
    new Redis(url, {
      ...fastFailOptions,
      ...(options.name === undefined ? {} : { connectionName: options.name }),
    }),
  cluster: (nodes: readonly RedisNode[]) =>
    new Cluster(
      nodes.map((n) => ({ host: n.host, port: n.port })),
      { redisOptions: { ...fastFailOptions }, enableOfflineQueue: true },
    ),
  quit,
});

function nodeRedisKind(name: 'node-redis' | 'node-redis-resp3', RESP: 2 | 3): RedisClientKind {
  const socket = { connectTimeout: 2_000 };
  return Object.freeze({
    name,
    single(url: string, options: SingleClientOptions = {}) {
      const c = createClient({
        url,
        RESP,
        socket,
        ...(options.name === undefined ? {} : { name: options.name }),
      });
      c.on('error', () => {}); // node-redis throws an unhandled 'error' without a listener
      c.connect().catch(() => {}); // reconnects by itself; its status tells the tests
      return c;
    },
    cluster(nodes: readonly RedisNode[]) {
      const c = createCluster({
        rootNodes: nodes.map((n) => ({ url: `redis://${n.host}:${n.port}` })),
        defaults: { socket },
        RESP,
      });
      c.on('error', () => {});
      c.connect().catch(() => {});
      return c;
    },
    quit,
  });
}

const KINDS: Readonly<Record<RedisClientKindName, RedisClientKind>> = Object.freeze({
  ioredis: ioredisKind,
  'node-redis': nodeRedisKind('node-redis', 2),
  'node-redis-resp3': nodeRedisKind('node-redis-resp3', 3),
});

/** Every kind, for a suite that runs on all of them (`describe.each`). */
export const REDIS_CLIENT_KINDS: readonly RedisClientKind[] = Object.freeze(
  KIND_NAMES.map((n) => KINDS[n]),
);

/**
 * The client kind the tests run on: `RESIL_REDIS_CLIENT` = `ioredis` (the default, also when
 * unset or empty), `node-redis` or `node-redis-resp3`. Any other value throws a RangeError
 * naming the variable. Worker processes inherit the variable.
 */
export function redisClientKind(name = process.env.RESIL_REDIS_CLIENT): RedisClientKind {
  const wanted = name === undefined || name === '' ? 'ioredis' : name;
  if (!(KIND_NAMES as readonly string[]).includes(wanted))
    throw new RangeError(`RESIL_REDIS_CLIENT must be one of ${KIND_NAMES.join(', ')}`);
  return KINDS[wanted as RedisClientKindName];
}

/** True when the tests run on ioredis (`RESIL_REDIS_CLIENT` unset or `ioredis`). */
export function isIoredisRun(): boolean {
  return redisClientKind().name === 'ioredis';
}

/**
 * Resolves once `client` is ready for commands (core's `clientStatus` is `ready`); rejects when
 * it closes first or after `timeoutMs`.
 */
export async function untilReady(client: RedisClient, timeoutMs = 10_000): Promise<void> {
  const status = clientStatus(client);
  if (status === 'ready') return;
  if (status === 'end') throw new Error('untilReady(): the client is closed');
  let offReady = () => {};
  let offEnd = () => {};
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      // a node-redis cluster reports `ready` once its slots are known, after `connect`
      offReady = onClientReady(client, () => {
        if (clientStatus(client) === 'ready') resolve();
      });
      offEnd = onClientEnd(client, () => reject(new Error('untilReady(): the client closed')));
      timer = setTimeout(
        () => reject(new Error(`untilReady(): not ready within ${timeoutMs} ms`)),
        timeoutMs,
      );
      if (clientStatus(client) === 'ready') resolve();
    });
  } finally {
    offReady();
    offEnd();
    clearTimeout(timer);
  }
}
