// Issue #21: the breaker takes a node-redis client (`redis` v5 createClient, RESP2 and RESP3,
// and createCluster) as well as ioredis, whatever RESIL_REDIS_CLIENT says: every kind is made
// here explicitly. Before, a node-redis client was refused with a TypeError (`redis must be an
// ioredis Redis or Cluster, or a URL`).
import { clientStatus, redisCommand } from '@resil/core';
import {
  REDIS_CLIENT_KINDS,
  type RedisClusterHandle,
  redisUrl,
  startRedisCluster,
  uniquePrefix,
  untilReady,
  useRedis,
  waitFor,
} from '@resil/testkit';
import { circuitBreaker, isCircuitOpenError, type StateChangeEvent } from '../../src';
import { closeAfterEach } from '../helpers/track';

const r = useRedis('breaker-clients');
const track = closeAfterEach();
let seq = 0;
const fail = () => Object.assign(new Error('HTTP 503'), { status: 503 });

describe.each(REDIS_CLIENT_KINDS.map((k) => [k.name, k] as const))('breaker on %s', (_, kind) => {
  const made: Array<ReturnType<typeof kind.single>> = [];
  afterAll(async () => {
    await Promise.all(made.splice(0).map((c) => kind.quit(c)));
  });
  const client = async (url = redisUrl()) => {
    const c = kind.single(url);
    made.push(c);
    await untilReady(c);
    return c;
  };

  it('shares one circuit between two clients: the scripts write the hash, the change is pushed to the other', async () => {
    const [a, b] = [await client(), await client()];
    const name = `clients.${kind.name}.${++seq}`;
    const make = (redis: typeof a) =>
      track(
        circuitBreaker({
          name,
          failureThreshold: 2,
          resetTimeoutMs: 60_000,
          redis,
          keyPrefix: r.prefix,
          commandTimeoutMs: 5_000,
          logger: false,
        })(async () => {
          throw fail();
        }),
      );
    const fa = make(a);
    const fb = make(b);
    await Promise.all([fa.breaker.ready(), fb.breaker.ready()]);
    const changes: StateChangeEvent[] = [];
    fb.breaker.onStateChange((e) => changes.push(e));
    for (let i = 0; i < 2; i++) await expect(fa()).rejects.toThrow('HTTP 503');
    expect(fa.breaker.state).toBe('open');
    const key = `${r.prefix}{breaker:${name}}`;
    expect(await r.admin.hget(key, 'state')).toBe('open');
    expect(await r.admin.pttl(key)).toBeGreaterThan(60_000);
    // b heard it on its own subscriber connection (node-redis duplicate + subscribe)
    await waitFor(() => fb.breaker.state === 'open', { what: 'b open' });
    expect(changes.map((c) => c.to)).toEqual(['open']);
    const err = await fb().catch((e: unknown) => e);
    expect(isCircuitOpenError(err)).toBe(true);
    expect(fa.breaker.degraded || fb.breaker.degraded).toBe(false);
    // an operator's close on b reaches a
    await fb.breaker.forceClose();
    expect(await r.admin.hget(key, 'state')).toBe('closed');
    await waitFor(() => fa.breaker.state === 'closed', { what: 'a closed' });
    // the caller's client is never quit by the breaker
    await fa.breaker.close();
    await fb.breaker.close();
    expect(clientStatus(a)).toBe('ready');
    expect(await redisCommand(a, ['PING'])).toBe('PONG');
  });

  describe('on a 3-master Redis Cluster', () => {
    let cluster: RedisClusterHandle | undefined;
    beforeAll(async () => {
      cluster = await startRedisCluster({ masters: 3 });
    }, 60_000);
    afterAll(async () => {
      await Promise.all(made.splice(0).map((c) => kind.quit(c)));
      await cluster?.stop();
    });

    it('opens each circuit through the cluster client, every script routed to the master of its key', async () => {
      const c = kind.cluster(cluster?.nodes ?? []);
      made.push(c);
      await untilReady(c);
      const prefix = uniquePrefix(`breaker-clients-${kind.name}`);
      const names = Array.from({ length: 6 }, (_, i) => `clients.cluster.${i}`);
      for (const name of names) {
        const f = track(
          circuitBreaker({
            name,
            failureThreshold: 1,
            resetTimeoutMs: 60_000,
            redis: c,
            keyPrefix: prefix,
            commandTimeoutMs: 5_000,
            logger: false,
          })(async () => {
            throw fail();
          }),
        );
        await f.breaker.ready();
        await expect(f()).rejects.toThrow('HTTP 503');
        expect(f.breaker.state).toBe('open');
        expect(f.breaker.degraded).toBe(false);
        const key = `${prefix}{breaker:${name}}`;
        expect(await redisCommand(c, ['HGET', key, 'state'], key)).toBe('open');
      }
    });
  });
});
