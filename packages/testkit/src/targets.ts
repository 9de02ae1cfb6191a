import { Cluster, Redis } from 'ioredis';
import { type RedisClusterHandle, startRedisCluster } from './cluster';
import { deleteByPrefix, fastFailOptions, redisUrl, uniquePrefix } from './redis';

export type RedisTopology = 'single' | 'cluster';

/** One Redis deployment a shared-state suite runs against. */
export interface RedisTarget {
  readonly topology: RedisTopology;
  /** This suite's own key prefix on the target. */
  readonly prefix: string;
  /** A client made for the suite (a `Redis` or a `Cluster`), closed after the suite. */
  readonly redis: Redis | Cluster;
  /** A new client on the target; closed after the suite unless the test closes it first. */
  client(): Redis | Cluster;
  /** Environment for child processes: `REDIS_URL`, or `REDIS_CLUSTER_NODES` (host:port,...). */
  readonly env: Record<string, string>;
}

/**
 * Runs `fn` twice: against the single test Redis and against a real 3-master Redis Cluster
 * started for this suite (ioredis `Cluster`), so that a shared-state suite proves it has no
 * CROSSSLOT and behaves the same on both.
 *
 *   describeEachRedis('shared breaker', (target) => {
 *     it('opens for everyone', async () => { const b = make({ redis: target.redis, keyPrefix: target.prefix }); ... });
 *   });
 */
export function describeEachRedis(title: string, fn: (target: RedisTarget) => void): void {
  for (const topology of ['single', 'cluster'] as const) {
    describe(`${title} [${topology === 'single' ? 'single Redis' : 'Redis Cluster, 3 masters'}]`, () => {
      const prefix = uniquePrefix(`${title}-${topology}`);
      let cluster: RedisClusterHandle | undefined;
      let shared: Redis | Cluster | undefined;
      const made: Array<Redis | Cluster> = [];
      const connect = (): Redis | Cluster => {
        const c =
          topology === 'single'
            ? new Redis(redisUrl(), { ...fastFailOptions })
            : new Cluster(cluster?.nodes.map((n) => ({ ...n })) ?? [], {
                redisOptions: { ...fastFailOptions },
                enableOfflineQueue: true,
              });
        made.push(c);
        return c;
      };
      beforeAll(async () => {
        if (topology === 'cluster') cluster = await startRedisCluster({ masters: 3 });
        shared = connect();
      }, 60_000);
      afterAll(async () => {
        if (shared && topology === 'single') await deleteByPrefix(shared, prefix).catch(() => 0);
        for (const c of made) c.disconnect();
        await cluster?.stop();
      });
      fn({
        topology,
        prefix,
        get redis() {
          if (!shared) throw new Error('describeEachRedis(): the client exists only inside tests');
          return shared;
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

/**
 * In a worker process: a client for the target the harness described in the environment
 * (`REDIS_CLUSTER_NODES` for a Cluster, else `REDIS_URL`).
 */
export function connectFromEnv(): Redis | Cluster {
  const nodes = process.env.REDIS_CLUSTER_NODES;
  if (nodes) {
    return new Cluster(
      nodes.split(',').map((hp) => {
        const [host, port] = hp.split(':');
        return { host: host ?? '127.0.0.1', port: Number(port) };
      }),
      { redisOptions: { ...fastFailOptions }, enableOfflineQueue: true },
    );
  }
  return new Redis(redisUrl(), { ...fastFailOptions });
}
