import { randomBytes } from 'node:crypto';
import { Cluster, Redis, type RedisOptions } from 'ioredis';

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

/** Options that make a test client fail fast instead of queueing forever. */
export const fastFailOptions: RedisOptions = Object.freeze({
  connectTimeout: 2_000,
  commandTimeout: 5_000,
  maxRetriesPerRequest: 1,
  enableOfflineQueue: true,
});

/** A new ioredis client on the test Redis. Close it with `quit()` (useRedis does it for you). */
export function createRedis(options: RedisOptions = {}): Redis {
  return new Redis(redisUrl(), { ...fastFailOptions, ...options });
}

/** A key prefix no other test file (or earlier run) shares: `resil-test:<label>:<random>:`. */
export function uniquePrefix(label: string): string {
  const safe = label.replace(/[^a-zA-Z0-9_-]+/g, '-').slice(0, 40);
  return `resil-test:${safe}:${randomBytes(6).toString('hex')}:`;
}

/** Deletes every key that starts with `prefix`, by SCAN + UNLINK (never FLUSHALL/FLUSHDB). */
export async function deleteByPrefix(client: Redis | Cluster, prefix: string): Promise<number> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  let deleted = 0;
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      for (const key of keys) deleted += await node.unlink(key);
    } while (cursor !== '0');
  }
  return deleted;
}

export interface RedisFixture {
  /** A client connected to the test Redis (valid inside tests). */
  readonly redis: Redis;
  /** This test file's own key prefix. */
  readonly prefix: string;
  /** REDIS_URL of the test Redis. */
  readonly url: string;
}

/**
 * Jest helper: one client and one key prefix for this test file; after all tests, every key
 * under the prefix is deleted and the client is closed.
 *
 *   const r = useRedis('breaker-shared');
 *   it('...', async () => { await r.redis.set(`${r.prefix}x`, 1); });
 */
export function useRedis(label: string): RedisFixture {
  let client: Redis | undefined;
  const prefix = uniquePrefix(label);
  beforeAll(() => {
    client = createRedis();
  });
  afterAll(async () => {
    if (!client) return;
    await deleteByPrefix(client, prefix);
    await client.quit();
  });
  return {
    get redis() {
      if (!client) throw new Error('useRedis(): the client exists only inside tests');
      return client;
    },
    prefix,
    get url() {
      return redisUrl();
    },
  };
}
