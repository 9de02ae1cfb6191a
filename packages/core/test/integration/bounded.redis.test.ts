import { type RedisServer, startRedisServer, waitFor } from '@resil/testkit';
import {
  BoundedRedis,
  CORE_ERROR_CODES,
  clientStatus,
  type DegradedEvent,
  once,
  type RedisClient,
  type RestoredEvent,
  redisCommand,
} from '../../src/index';
import { CLIENT_KINDS, clientTracker } from '../support/redis-clients';

const ping = (r: RedisClient) => redisCommand(r, ['PING']);

// Once per client (ioredis, node-redis, node-redis RESP3), each with a redis-server of its own:
// these tests pause (SIGSTOP), kill and restart it.
describe.each(CLIENT_KINDS)('BoundedRedis against a real Redis, with $name', (kind) => {
  let server: RedisServer;
  const tracked = clientTracker();
  const callers: BoundedRedis<RedisClient>[] = [];

  async function client(): Promise<RedisClient> {
    const c = tracked.add(kind.single(server.url));
    await waitFor(() => clientStatus(c) === 'ready', { what: 'the client to connect' });
    return c;
  }

  function bounded(c: RedisClient, timeoutMs: number, backoffMs: number) {
    const b = new BoundedRedis(c, { timeoutMs, backoffMs });
    callers.push(b);
    const events: string[] = [];
    const degraded: DegradedEvent[] = [];
    const restored: RestoredEvent[] = [];
    b.onDegraded((e) => {
      events.push('degraded');
      degraded.push(e);
    });
    b.onRestored((e) => {
      events.push('restored');
      restored.push(e);
    });
    return { b, events, degraded, restored };
  }

  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterEach(async () => {
    server.child.kill('SIGCONT');
    await Promise.all(callers.splice(0).map((b) => b.close()));
    await tracked.closeAll();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('a paused Redis costs at most one bounded wait per back-off period; the others fail fast without a command; one degraded and one restored event', async () => {
    const c = await client();
    const timeoutMs = 100;
    const backoffMs = 400;
    const { b, events, degraded } = bounded(c, timeoutMs, backoffMs);
    await expect(b.run(ping)).resolves.toBe('PONG');
    let sent = 0;
    const counted = (r: RedisClient) => {
      sent++;
      return ping(r);
    };
    server.child.kill('SIGSTOP');
    const codes: string[] = [];
    const started = performance.now();
    try {
      // Calls one after the other for 1.5 s of a paused Redis, and at least 20 of them (a stalled
      // event loop can eat the 1.5 s; the bound on waits below follows the elapsed time).
      while (performance.now() - started < 1500 || codes.length < 20) {
        codes.push(
          await b.run(counted).then(
            () => 'reply',
            (e: { code: string }) => e.code,
          ),
        );
        await new Promise((r) => setTimeout(r, 5)); // pacing, not synchronisation
      }
    } finally {
      server.child.kill('SIGCONT');
    }
    const elapsed = performance.now() - started;
    const waits = codes.filter((x) => x === CORE_ERROR_CODES.REDIS_TIMEOUT).length;
    const fast = codes.filter((x) => x === CORE_ERROR_CODES.REDIS_UNAVAILABLE).length;
    // One wait to find out, then at most one per back-off period that began.
    expect(waits).toBeGreaterThanOrEqual(1);
    expect(waits).toBeLessThanOrEqual(1 + Math.ceil(elapsed / backoffMs));
    expect(sent).toBe(waits); // a call that failed fast sent no command
    expect(fast).toBeGreaterThan(waits);
    expect(codes).not.toContain('reply');
    expect(degraded).toEqual([{ reason: 'timeout', code: CORE_ERROR_CODES.REDIS_TIMEOUT }]);
    // Resumed: the next probe after the back-off answers, and the caller is restored.
    const back = once(b.onRestored);
    await waitFor(async () => (await b.tryRun(ping)) === 'PONG', {
      timeoutMs: 10_000,
      what: 'a probe to reach the resumed Redis',
    });
    await back;
    expect(b.degraded).toBe(false);
    expect(events).toEqual(['degraded', 'restored']);
  });

  it('a stopped Redis fails calls at once without a command; a restarted one is asked again as soon as the client is ready', async () => {
    const c = await client();
    const { b, events, degraded } = bounded(c, 300, 60_000);
    const port = server.port;
    await server.stop();
    await waitFor(() => clientStatus(c) !== 'ready', {
      what: 'the client to see the stopped Redis',
    });
    expect(clientStatus(c)).toBe('reconnecting');
    expect(b.usable()).toBe(false);
    let sent = 0;
    const err = await b
      .run((r) => {
        sent++;
        return ping(r);
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: CORE_ERROR_CODES.REDIS_UNAVAILABLE });
    expect(sent).toBe(0);
    expect(degraded).toEqual([{ reason: 'unavailable', code: CORE_ERROR_CODES.REDIS_UNAVAILABLE }]);
    server = await startRedisServer({ port });
    await waitFor(() => clientStatus(c) === 'ready', {
      timeoutMs: 10_000,
      what: 'the client to reconnect',
    });
    // The back-off (60 s) is cut short by the client's 'ready': the next call is sent.
    await expect(b.run(ping)).resolves.toBe('PONG');
    expect(events).toEqual(['degraded', 'restored']);
  });

  it('a Lua error of a working Redis is rejected as it is and does not degrade', async () => {
    const c = await client();
    const { b, events } = bounded(c, 1000, 1000);
    await expect(
      b.run((r) => redisCommand(r, ['EVAL', "return redis.error_reply('ERR mine')", 0])),
    ).rejects.toThrow('ERR mine');
    expect(b.degraded).toBe(false);
    expect(events).toEqual([]);
  });

  it('a closed client fails calls at once without a command (unavailable)', async () => {
    const c = await client();
    const { b, degraded } = bounded(c, 1000, 1000);
    await tracked.closeAll();
    expect(clientStatus(c)).toBe('end');
    let sent = 0;
    await expect(
      b.run((r) => {
        sent++;
        return ping(r);
      }),
    ).rejects.toMatchObject({ code: CORE_ERROR_CODES.REDIS_UNAVAILABLE });
    expect(sent).toBe(0);
    expect(degraded).toEqual([{ reason: 'unavailable', code: CORE_ERROR_CODES.REDIS_UNAVAILABLE }]);
  });
});
