import { Cluster, Redis } from 'ioredis';
import { createClient, createCluster } from 'redis';
import { quitClient, type RedisClient } from '../../src/index';

/**
 * The Redis clients core's integration suites run on (a table for `describe.each`): ioredis,
 * node-redis (`redis` v5, RESP2: its default) and node-redis with RESP3 (the default of `redis`
 * v6). Every factory returns a client connected (or connecting) with an `error` listener; `close`
 * quits it, bounded.
 */
export interface ClientKind {
  readonly name: 'ioredis' | 'node-redis' | 'node-redis RESP3';
  /** A client of a single Redis. `fast`: reconnect every 50 ms, 1 s connect time-out. */
  single(url: string): RedisClient;
  /** A client of a Redis Cluster, connected. */
  cluster(nodes: ReadonlyArray<{ host: string; port: number }>): Promise<RedisClient>;
}

const ioredisKind: ClientKind = {
  name: 'ioredis',
  single(url) {
    const c = new Redis(url, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: true,
      connectTimeout: 1000,
      retryStrategy: () => 50,
    });
    c.on('error', () => {});
    return c;
  },
  async cluster(nodes) {
    const c = new Cluster(
      nodes.map((n) => ({ ...n })),
      { redisOptions: { maxRetriesPerRequest: 1 }, enableOfflineQueue: true },
    );
    c.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      c.once('ready', () => resolve());
      c.once('end', () => reject(new Error('cluster client ended before ready')));
    });
    return c;
  },
};

function nodeRedisKind(name: 'node-redis' | 'node-redis RESP3', RESP: 2 | 3): ClientKind {
  const socket = { connectTimeout: 1000, reconnectStrategy: () => 50 };
  return {
    name,
    single(url) {
      const c = createClient({ url, RESP, socket });
      c.on('error', () => {});
      c.connect().catch(() => {});
      return c;
    },
    async cluster(nodes) {
      const c = createCluster({
        rootNodes: nodes.map((n) => ({ url: `redis://${n.host}:${n.port}` })),
        defaults: { socket },
        RESP,
      });
      c.on('error', () => {});
      await c.connect();
      return c;
    },
  };
}

export const CLIENT_KINDS: readonly ClientKind[] = [
  ioredisKind,
  nodeRedisKind('node-redis', 2),
  nodeRedisKind('node-redis RESP3', 3),
];

/** Tracks the clients a suite makes, and quits them all. */
export function clientTracker() {
  const made: RedisClient[] = [];
  return {
    add<C extends RedisClient>(c: C): C {
      made.push(c);
      return c;
    },
    async closeAll(): Promise<void> {
      await Promise.all(made.splice(0).map((c) => quitClient(c, 500)));
    },
  };
}
