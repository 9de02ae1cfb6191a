import { randomBytes } from 'node:crypto';
import { isNodeRedisCluster, type RedisClient, redisCommand } from '@resil/core';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { fastFailOptions, type RedisClientKind, redisClientKind, untilReady } from './clients';

export { fastFailOptions };

/**
 * The Redis URL the tests use. Jest's global setup (jest/global-setup.cjs) sets it, starting a
 * redis-server of its own when nothing answers on the default port. When no Redis can be had, it
 * throws the reason, so a Redis suite fails with a message that says how to get one.
 */
export function redisUrl(): string {
  const why = process.env.RESIL_REDIS_UNAVAILABLE;
  if (why) throw new Error(why);
  return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
}

/**
 * A new ioredis client on the test Redis, whatever `RESIL_REDIS_CLIENT` says (for assertions
 * and set-up). Close it with `quit()` (useRedis does it for you).
 */
export function createRedis(options: RedisOptions = {}): Redis {
  return new Redis(redisUrl(), { ...fastFailOptions, ...options });
}

/**
 * A new client of the kind `RESIL_REDIS_CLIENT` names (see `redisClientKind`) on the test Redis,
 * connecting. Close it with core's `quitClient`.
 */
export function createRedisClient(): RedisClient {
  return redisClientKind().single(redisUrl());
}

/** A key prefix no other test file (or earlier run) shares: `resil-test:<label>:<random>:`. */
export function uniquePrefix(label: string): string {
  const safe = label.replace(/[^a-zA-Z0-9_-]+/g, '-').slice(0, 40);
  return `resil-test:${safe}:${randomBytes(6).toString('hex')}:`;
}

/** The single-node clients under `client`: a cluster's masters, else the client itself. */
async function mastersOf(client: RedisClient): Promise<RedisClient[]> {
  if (client instanceof Cluster) return client.nodes('master');
  if (isNodeRedisCluster(client)) {
    const c = client as unknown as {
      masters: unknown[];
      nodeClient(node: unknown): RedisClient | Promise<RedisClient>;
    };
    return Promise.all(c.masters.map((m) => c.nodeClient(m)));
  }
  return [client];
}

/**
 * Deletes every key that starts with `prefix`, by SCAN + UNLINK (never FLUSHALL/FLUSHDB), on
 * any client (ioredis or node-redis; a cluster: on every master).
 */
export async function deleteByPrefix(client: RedisClient, prefix: string): Promise<number> {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  let deleted = 0;
  for (const node of await mastersOf(client)) {
    let cursor = '0';
    do {
      const [next, keys] = (
        node instanceof Redis
          ? await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500)
          : await redisCommand(node, ['SCAN', cursor, 'MATCH', pattern, 'COUNT', 500])
      ) as [string, string[]];
      cursor = String(next);
      for (const key of keys)
        deleted += Number(
          node instanceof Redis
            ? await node.unlink(key)
            : await redisCommand(node, ['UNLINK', key]),
        );
    } while (cursor !== '0');
  }
  return deleted;
}

export interface RedisFixture {
  /**
   * The client of the kind `RESIL_REDIS_CLIENT` names, connected to the test Redis (valid inside
   * tests): give it to the code under test.
   */
  readonly redis: RedisClient;
  /**
   * An ioredis client on the test Redis, for assertions and set-up (`hget`, `pttl`, …): the same
   * object as `redis` when the kind is ioredis.
   */
  readonly admin: Redis;
  /** A new client of the kind on the test Redis, connecting; closed after all tests. */
  client(): RedisClient;
  /** The client kind of this run. */
  readonly kind: RedisClientKind;
  /** This test file's own key prefix. */
  readonly prefix: string;
  /** REDIS_URL of the test Redis. */
  readonly url: string;
}

/**
 * Jest helper: one client and one key prefix for this test file; after all tests, every key
 * under the prefix is deleted and the clients are closed. The client is of the kind
 * `RESIL_REDIS_CLIENT` names (ioredis by default); `admin` is always ioredis.
 *
 *   const r = useRedis('breaker-shared');
 *   it('...', async () => { const b = make({ redis: r.redis }); await r.admin.set(`${r.prefix}x`, 1); });
 */
export function useRedis(label: string): RedisFixture {
  const kind = redisClientKind();
  let client: RedisClient | undefined;
  let admin: Redis | undefined;
  const made: RedisClient[] = [];
  const prefix = uniquePrefix(label);
  beforeAll(async () => {
    if (kind.name === 'ioredis') {
      const c = createRedis();
      client = c;
      admin = c;
      return;
    }
    admin = createRedis();
    client = kind.single(redisUrl());
    await untilReady(client);
  });
  afterAll(async () => {
    await Promise.all(made.splice(0).map((c) => kind.quit(c)));
    if (admin) await deleteByPrefix(admin, prefix);
    await Promise.all([client, admin !== client ? admin : undefined].map((c) => c && kind.quit(c)));
  });
  return {
    get redis() {
      if (!client) throw new Error('useRedis(): the client exists only inside tests');
      return client;
    },
    get admin() {
      if (!admin) throw new Error('useRedis(): the client exists only inside tests');
      return admin;
    },
    client() {
      const c = kind.single(redisUrl());
      made.push(c);
      return c;
    },
    kind,
    prefix,
    get url() {
      return redisUrl();
    },
  };
}
