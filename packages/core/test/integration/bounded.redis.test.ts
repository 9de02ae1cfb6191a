import { type RedisServer, startRedisServer, waitFor } from '@resil/testkit';
import { Redis } from 'ioredis';
import {
  BoundedRedis,
  CORE_ERROR_CODES,
  type DegradedEvent,
  once,
  type RestoredEvent,
} from '../../src/index';

// A redis-server of our own: these tests pause (SIGSTOP), kill and restart it.
let server: RedisServer;
const clients: Redis[] = [];
const callers: BoundedRedis[] = [];

function client(): Redis {
  const c = new Redis(server.url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    connectTimeout: 1000,
    retryStrategy: () => 50,
  });
  c.on('error', () => {});
  clients.push(c);
  return c;
}

function bounded(c: Redis, timeoutMs: number, backoffMs: number) {
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
  for (const c of clients.splice(0)) c.disconnect();
});
afterAll(async () => {
  await server.stop();
});

describe('BoundedRedis against a real Redis', () => {
  it('a paused Redis costs at most one bounded wait per back-off period; the others fail fast without a command; one degraded and one restored event', async () => {
    const c = client();
    await c.ping();
    const timeoutMs = 100;
    const backoffMs = 400;
    const { b, events, degraded } = bounded(c, timeoutMs, backoffMs);
    await expect(b.run((r) => r.ping())).resolves.toBe('PONG');
    let sent = 0;
    const ping = (r: Redis) => {
      sent++;
      return r.ping();
    };
    server.child.kill('SIGSTOP');
    const codes: string[] = [];
    const started = performance.now();
    try {
      // Calls one after the other for 1.5 s of a paused Redis.
      while (performance.now() - started < 1500) {
        codes.push(
          await b.run(ping).then(
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
    await waitFor(async () => (await b.tryRun((r) => r.ping())) === 'PONG', {
      timeoutMs: 10_000,
      what: 'a probe to reach the resumed Redis',
    });
    await back;
    expect(b.degraded).toBe(false);
    expect(events).toEqual(['degraded', 'restored']);
  });

  it('a stopped Redis fails calls at once without a command; a restarted one is asked again as soon as the client is ready', async () => {
    const c = client();
    await c.ping();
    const { b, events, degraded } = bounded(c, 300, 60_000);
    const port = server.port;
    await server.stop();
    await waitFor(() => c.status !== 'ready', { what: 'the client to see the stopped Redis' });
    let sent = 0;
    const err = await b
      .run((r) => {
        sent++;
        return r.ping();
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: CORE_ERROR_CODES.REDIS_UNAVAILABLE });
    expect(sent).toBe(0);
    expect(degraded).toEqual([{ reason: 'unavailable', code: CORE_ERROR_CODES.REDIS_UNAVAILABLE }]);
    server = await startRedisServer({ port });
    await waitFor(() => c.status === 'ready', {
      timeoutMs: 10_000,
      what: 'the client to reconnect',
    });
    // The back-off (60 s) is cut short by the client's 'ready': the next call is sent.
    await expect(b.run((r) => r.ping())).resolves.toBe('PONG');
    expect(events).toEqual(['degraded', 'restored']);
  });

  it('a Lua error of a working Redis is rejected as it is and does not degrade', async () => {
    const c = client();
    const { b, events } = bounded(c, 1000, 1000);
    await expect(b.run((r) => r.eval("return redis.error_reply('ERR mine')", 0))).rejects.toThrow(
      'ERR mine',
    );
    expect(b.degraded).toBe(false);
    expect(events).toEqual([]);
  });
});
