import { quitClient, type RedisClient } from '@resil/core';
import { Cluster, Redis } from 'ioredis';
import { fastFailOptions, type RedisClientKind, redisClientKind, untilReady } from './clients';
import { type RedisClusterHandle, startRedisCluster } from './cluster';
import { deleteByPrefix, redisUrl, uniquePrefix } from './redis';

export type RedisTopology = 'single' | 'cluster';

/** One Redis deployment a shared-state suite runs against. */
export interface RedisTarget {
  readonly topology: RedisTopology;
  /** The client kind of this run (`RESIL_REDIS_CLIENT`). */
  readonly kind: RedisClientKind;
  /** This suite's own key prefix on the target. */
  readonly prefix: string;
  /**
   * A client of the kind `RESIL_REDIS_CLIENT` names, made for the suite and ready (a single
   * client or a cluster client), closed after the suite: give it to the code under test.
   */
  readonly redis: RedisClient;
  /**
   * An ioredis client on the target (a `Redis` or a `Cluster`) for assertions and set-up: the
   * same object as `redis` when the kind is ioredis.
   */
  readonly admin: Redis | Cluster;
  /**
   * A new client of the kind on the target, connecting; closed after the suite unless the test
   * closes it first. A node-redis cluster client needs `await untilReady(c)` before commands of
   * your own (code built on core's `BoundedRedis` waits by itself).
   */
  client(): RedisClient;
  /** Environment for child processes: `REDIS_URL`, or `REDIS_CLUSTER_NODES` (host:port,...). */
  readonly env: Record<string, string>;
}

/**
 * Runs `fn` twice: against the single test Redis and against a real 3-master Redis Cluster
 * started for this suite, so that a shared-state suite proves it has no CROSSSLOT and behaves
 * the same on both. The clients are of the kind `RESIL_REDIS_CLIENT` names (ioredis by default:
 * `Redis`/`Cluster`; node-redis: `createClient`/`createCluster`).
 *
 *   describeEachRedis('shared breaker', (target) => {
 *     it('opens for everyone', async () => { const b = make({ redis: target.redis, keyPrefix: target.prefix }); ... });
 *   });
 */
export function describeEachRedis(title: string, fn: (target: RedisTarget) => void): void {
  const kind = redisClientKind();
  const ioredis = kind.name === 'ioredis';
  for (const topology of ['single', 'cluster'] as const) {
    const where = topology === 'single' ? 'single Redis' : 'Redis Cluster, 3 masters';
    describe(`${title} [${where}${ioredis ? '' : `, ${kind.name}`}]`, () => {
      const prefix = uniquePrefix(`${title}-${topology}`);
      let cluster: RedisClusterHandle | undefined;
      let shared: RedisClient | undefined;
      let admin: Redis | Cluster | undefined;
      const made: RedisClient[] = [];
      const nodes = () => cluster?.nodes.map((n) => ({ host: n.host, port: n.port })) ?? [];
      const connect = (): RedisClient => {
        const c = topology === 'single' ? kind.single(redisUrl()) : kind.cluster(nodes());
        made.push(c);
        return c;
      };
      beforeAll(async () => {
        if (topology === 'cluster') cluster = await startRedisCluster({ masters: 3 });
        shared = connect();
        if (ioredis) {
          admin = shared as Redis | Cluster;
          return;
        }
        admin =
          topology === 'single'
            ? new Redis(redisUrl(), { ...fastFailOptions })
            : new Cluster(nodes(), {
                redisOptions: { ...fastFailOptions },
                enableOfflineQueue: true,
              });
        await untilReady(shared);
      }, 60_000);
      afterAll(async () => {
        if (admin && topology === 'single') await deleteByPrefix(admin, prefix).catch(() => 0);
        const all: RedisClient[] = [...made.splice(0)];
        if (admin && !all.includes(admin)) all.push(admin);
        await Promise.all(all.map((c) => quitClient(c, 500)));
        await cluster?.stop();
      });
      fn({
        topology,
        kind,
        prefix,
        get redis() {
          if (!shared) throw new Error('describeEachRedis(): the client exists only inside tests');
          return shared;
        },
        get admin() {
          if (!admin) throw new Error('describeEachRedis(): the client exists only inside tests');
          return admin;
        },
        client: connect,
        get env(): Record<string, string> {
          return topology === 'single'
            ? { REDIS_URL: redisUrl() }
            : {
                REDIS_CLUSTER_NODES: (cluster?.nodes ?? [])
                  .map((n) => `${n.host}:${n.port}`)
                  .join(','),
              };
        },
      });
    });
  }
}

function clusterNodesFromEnv(): Array<{ host: string; port: number }> | undefined {
  const nodes = process.env.REDIS_CLUSTER_NODES;
  if (!nodes) return undefined;
  return nodes.split(',').map((hp) => {
    const [host, port] = hp.split(':');
    return { host: host ?? '127.0.0.1', port: Number(port) };
  });
}

/**
 * In a worker process: a client of the kind `RESIL_REDIS_CLIENT` names (inherited from the test
 * process) for the target the harness described in the environment (`REDIS_CLUSTER_NODES` for a
 * Cluster, else `REDIS_URL`), connecting. Close it with core's `quitClient`. A node-redis
 * cluster client needs `await untilReady(c)` before commands of your own.
 */
export function connectFromEnv(): RedisClient {
  const kind = redisClientKind();
  const nodes = clusterNodesFromEnv();
  return nodes ? kind.cluster(nodes) : kind.single(redisUrl());
}

/** In a worker process: an ioredis client of the target in the environment, for assertions. */
export function adminFromEnv(): Redis | Cluster {
  const nodes = clusterNodesFromEnv();
  return nodes
    ? new Cluster(nodes, { redisOptions: { ...fastFailOptions }, enableOfflineQueue: true })
    : new Redis(redisUrl(), { ...fastFailOptions });
}
