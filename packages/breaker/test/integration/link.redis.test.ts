// A breaker's Redis connections as a user sees them: a stopped Redis never holds a call for
// longer than commandTimeoutMs (and a slow one is waited for that long), and after a command that got no answer the breaker leaves Redis
// alone for a back-off (one degraded event, one restored event); two breakers on one client share
// one subscriber connection and close() releases what the breaker opened, not the caller's
// client; a lazyConnect client works with and without offline queue; a pub/sub message keeps
// the failure count this worker knows. The stopped Redis is a redis-server of this file's own
// (testkit), never the shared one. Also run by Stryker for every mutant (test/mutation/all.ts):
// the own redis-server is started only when one of its tests runs.
import { clientStatus, quitClient, type RedisClient, redisCommand } from '@resil/core';
import {
  type RedisServer,
  redisClientKind,
  startRedisServer,
  useRedis,
  waitFor,
} from '@resil/testkit';
import { Redis, type RedisOptions } from 'ioredis';
import { CircuitOpenError, circuitBreaker } from '../../src';
import { circuitReader } from '../helpers/redis';

const r = useRedis('breaker-link');
let seq = 0;
const name = () => `link.${process.pid}.${++seq}`;
const fail = () => Object.assign(new Error('HTTP 503'), { status: 503 });

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});
function own<T extends { breaker: { close(): Promise<void> } }>(f: T): T {
  cleanup.push(() => f.breaker.close());
  return f;
}
const { hash, redisMs } = circuitReader(r);
/** A client the breaker is given, of this run's kind (RESIL_REDIS_CLIENT), closed after the test. */
function client(url: string, options: { name?: string } = {}): RedisClient {
  const c = redisClientKind().single(url, options);
  cleanup.push(() => quitClient(c, 500));
  return c;
}
/** An ioredis client with options of its own (`lazyConnect`, `enableOfflineQueue`). */
function ioredisClient(url: string, options: RedisOptions): Redis {
  const c = new Redis(url, { maxRetriesPerRequest: 1, ...options });
  c.on('error', () => {});
  cleanup.push(() => c.disconnect());
  return c;
}

describe('breaker on a redis-server of its own: a stopped Redis, connections', () => {
  let server: RedisServer;
  let admin: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.stop();
  });
  /** Connections to the server other than `admin`'s, or only those with this client name. */
  const connections = async (clientName?: string) => {
    const list = (await admin.client('LIST')) as string;
    const lines = list.split('\n').filter((l) => l.startsWith('id='));
    return clientName === undefined
      ? lines.length - 1
      : lines.filter((l) => l.includes(` name=${clientName} `)).length;
  };

  it('a stopped Redis holds a call no longer than commandTimeoutMs; after that the breaker leaves Redis alone for a back-off (one degraded event, counting in memory), then reads it again (one restored event)', async () => {
    const n = name();
    const events: string[] = [];
    const f = own(
      circuitBreaker({
        name: n,
        failureThreshold: 10,
        resetTimeoutMs: 60_000,
        commandTimeoutMs: 300,
        redis: client(server.url),
        logger: false,
      })(async () => {
        throw fail();
      }),
    );
    f.breaker.onDegraded(() => events.push('degraded'));
    f.breaker.onRestored(() => events.push('restored'));
    await f.breaker.ready();
    // Healthy before the fault: on a loaded machine the start-up read can itself take longer
    // than 300 ms (then a degraded/restored pair that is not this test's).
    await waitFor(
      async () => {
        await f.breaker.refresh();
        return !f.breaker.degraded;
      },
      { timeoutMs: 10_000, what: 'a healthy start' },
    );
    events.length = 0;
    server.child.kill('SIGSTOP');
    try {
      // The failure is sent to Redis, which cannot answer: the call ends anyway.
      await expect(f()).rejects.toMatchObject({ status: 503 });
      expect(f.breaker.degraded).toBe(true);
      expect(f.breaker.failures).toBe(1);
      // Inside the back-off: not sent to Redis at all, counted in memory, no second event.
      await expect(f()).rejects.toMatchObject({ status: 503 });
      await f.breaker.refresh();
      expect(f.breaker.failures).toBe(2);
      expect(events).toEqual(['degraded']);
    } finally {
      server.child.kill('SIGCONT');
    }
    // After the back-off, the next command that needs Redis is sent: restored, state read again.
    await waitFor(
      async () => {
        await f.breaker.refresh();
        return !f.breaker.degraded;
      },
      { timeoutMs: 10_000, what: 'the breaker to ask Redis again after the back-off' },
    );
    expect(events).toEqual(['degraded', 'restored']);
    // Only the first failure (sent before the back-off) ever reached Redis.
    const key = `resil:{breaker:${n}}`;
    await waitFor(async () => (await admin.hget(key, 'failures')) !== null, {
      what: 'the first failure to reach Redis',
    });
    expect(await admin.hget(key, 'failures')).toBe('1');
    await waitFor(() => f.breaker.failures === 1, { what: 'the shared count to be read' });
  });

  it('a Redis that answers later than 300 ms but within commandTimeoutMs is waited for: the failure and configure() reach it, no degraded event', async () => {
    const n = name();
    const events: string[] = [];
    const f = own(
      circuitBreaker({
        name: n,
        failureThreshold: 10,
        resetTimeoutMs: 60_000,
        commandTimeoutMs: 8_000,
        redis: client(server.url),
        logger: false,
      })(async () => {
        throw fail();
      }),
    );
    f.breaker.onDegraded(() => events.push('degraded'));
    f.breaker.onRestored(() => events.push('restored'));
    await f.breaker.ready();
    server.child.kill('SIGSTOP');
    let call: Promise<unknown>;
    let configured: Promise<{ shared: boolean }>;
    try {
      call = f().catch((e: unknown) => e);
      configured = f.breaker.configure({ failureThreshold: 9 });
      // paused for longer than the 300 ms a command waits by default (the outage itself, not a
      // wait for something to happen)
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    } finally {
      server.child.kill('SIGCONT');
    }
    expect(await call).toMatchObject({ status: 503 });
    expect((await configured).shared).toBe(true);
    expect(events).toEqual([]);
    expect(f.breaker.degraded).toBe(false);
    const key = `resil:{breaker:${n}}`;
    expect(await admin.hget(key, 'failures')).toBe('1');
    expect(JSON.parse((await admin.get(`${key}:config`)) ?? 'null')).toMatchObject({
      failureThreshold: 9,
    });
  });

  it('two breakers on one client share one subscriber connection; closing one keeps the other listening; closing the last one closes the subscriber, not the caller’s client', async () => {
    const label = `brk-${process.pid}-${++seq}`;
    const c = client(server.url, { name: label });
    const settings = { resetTimeoutMs: 60_000, logger: false as const };
    const a = own(circuitBreaker({ ...settings, name: name(), redis: c })(async () => 'a'));
    const b = own(circuitBreaker({ ...settings, name: name(), redis: c })(async () => 'b'));
    await a.breaker.ready();
    await b.breaker.ready();
    expect(await connections(label)).toBe(2); // the client and one subscriber
    await a.breaker.close();
    const operator = own(
      circuitBreaker({ ...settings, name: b.breaker.name, redis: client(server.url) })(
        async () => 'operator',
      ),
    );
    await operator.breaker.ready();
    await operator.breaker.open();
    await waitFor(() => b.breaker.state === 'open', {
      what: 'the remaining breaker to hear the open state',
    });
    expect(await connections(label)).toBe(2);
    await b.breaker.close();
    await waitFor(async () => (await connections(label)) === 1, {
      what: 'the subscriber connection to close',
    });
    expect(clientStatus(c)).toBe('ready');
    expect(await redisCommand(c, ['PING'])).toBe('PONG');
  });

  it('a breaker given a URL opens its own two connections and close() closes both', async () => {
    await waitFor(async () => (await connections()) === 0, {
      what: 'the earlier tests’ connections to close',
    });
    const f = circuitBreaker({ name: name(), redis: server.url, logger: false })(async () => 'f');
    try {
      await f.breaker.ready();
      expect(await connections()).toBe(2);
      await expect(f()).resolves.toBe('f');
    } finally {
      await f.breaker.close();
    }
    await waitFor(async () => (await connections()) === 0, {
      what: 'the connections the breaker opened to close',
    });
  });

  // Issue #18: a URL is leased from @resil/core's sharedClients (one command client per URL in the
  // process, quit by its last user); before, every (URL, keyPrefix) opened a client of its own.
  it('breakers given one URL share one command client, also across key prefixes; each prefix has its subscriber; the last close() quits the client', async () => {
    await waitFor(async () => (await connections()) === 0, {
      what: 'the earlier tests’ connections to close',
    });
    const settings = { redis: server.url, logger: false as const };
    const a = circuitBreaker({ ...settings, name: name(), keyPrefix: 'one:' })(async () => 'a');
    const b = circuitBreaker({ ...settings, name: name(), keyPrefix: 'two:' })(async () => 'b');
    try {
      await a.breaker.ready();
      await b.breaker.ready();
      await expect(a()).resolves.toBe('a');
      expect(await connections()).toBe(3); // one client, two subscribers
      await a.close();
      await waitFor(async () => (await connections()) === 2, {
        what: 'the first breaker’s subscriber to close',
      });
      await expect(b()).resolves.toBe('b');
      await b.breaker.open();
      expect(await admin.hget(`two:{breaker:${b.breaker.name}}`, 'state')).toBe('open');
    } finally {
      await a.close();
      await b.close();
    }
    await waitFor(async () => (await connections()) === 0, {
      what: 'the shared client and the subscribers to close',
    });
  });
});

describe('breaker on the shared Redis: client options and pub/sub', () => {
  it('a lazyConnect client (offline queue on) connects for the first read: a breaker created while the circuit is open rejects its first call, not degraded', async () => {
    const n = name();
    const key = `${r.prefix}{breaker:${n}}`;
    await r.admin.hset(
      key,
      'state',
      'open',
      'failures',
      '3',
      'openUntil',
      String((await redisMs()) + 60_000),
      'probeUntil',
      '0',
      'epoch',
      '1',
    );
    const c = ioredisClient(r.url, { lazyConnect: true });
    expect(c.status).toBe('wait');
    let calls = 0;
    const degraded: unknown[] = [];
    const f = own(
      circuitBreaker({ name: n, redis: c, keyPrefix: r.prefix, logger: false })(async () => {
        calls++;
        return 'f';
      }),
    );
    f.breaker.onDegraded((e) => degraded.push(e));
    await expect(f()).rejects.toBeInstanceOf(CircuitOpenError);
    expect(calls).toBe(0);
    expect(f.breaker.state).toBe('open');
    expect(f.breaker.failures).toBe(3);
    expect(f.breaker.degraded).toBe(false);
    expect(degraded).toEqual([]);
  });

  it('a lazyConnect client without offline queue is connected for the change channel: the breaker hears another client open and close the circuit', async () => {
    const n = name();
    const settings = {
      name: n,
      resetTimeoutMs: 60_000,
      keyPrefix: r.prefix,
      logger: false as const,
    };
    const c = ioredisClient(r.url, { lazyConnect: true, enableOfflineQueue: false });
    const f = own(circuitBreaker({ ...settings, redis: c })(async () => 'f'));
    await f.breaker.ready();
    await waitFor(() => !f.breaker.degraded, { what: 'the lazy client to connect' });
    const operator = own(circuitBreaker({ ...settings, redis: r.redis })(async () => 'op'));
    await operator.breaker.ready();
    await operator.breaker.open();
    await waitFor(() => f.breaker.state === 'open', { what: 'the open state by pub/sub' });
    await expect(f()).rejects.toBeInstanceOf(CircuitOpenError);
    await operator.breaker.forceClose();
    await waitFor(() => f.breaker.state === 'closed', { what: 'the close by pub/sub' });
    await expect(f()).resolves.toBe('f');
  });

  it('an open state heard by pub/sub keeps the failure count this worker knows; a close heard by pub/sub sets it to 0; no degraded or restored event without an outage', async () => {
    const n = name();
    const key = `${r.prefix}{breaker:${n}}`;
    const settings = {
      name: n,
      failureThreshold: 5,
      resetTimeoutMs: 60_000,
      keyPrefix: r.prefix,
      logger: false as const,
    };
    const f = own(
      circuitBreaker({ ...settings, redis: client(r.url) })(async () => {
        throw fail();
      }),
    );
    const events: string[] = [];
    f.breaker.onDegraded(() => events.push('degraded'));
    f.breaker.onRestored(() => events.push('restored'));
    const operator = own(circuitBreaker({ ...settings, redis: r.redis })(async () => 'op'));
    await f.breaker.ready();
    await operator.breaker.ready();
    await expect(f()).rejects.toMatchObject({ status: 503 });
    await expect(f()).rejects.toMatchObject({ status: 503 });
    expect(f.breaker.failures).toBe(2);
    expect((await hash(key)).failures).toBe('2');
    await operator.breaker.open();
    await waitFor(() => f.breaker.state === 'open', { what: 'the open state by pub/sub' });
    expect(f.breaker.failures).toBe(2);
    await operator.breaker.forceClose();
    await waitFor(() => f.breaker.state === 'closed', { what: 'the close by pub/sub' });
    expect(f.breaker.failures).toBe(0);
    expect(events).toEqual([]);
  });
});

describe('breaker on the shared Redis: epochs, probes asked of Redis, ready()', () => {
  /**
   * A breaker on its own client that opens at the first failure and probes after 200 ms; its
   * function fails until `dep.ok`, and counts its calls in `dep.calls`.
   */
  const opensAtOnce = (
    options: { name: string; probeLeaseMs?: number },
    dep: { calls: number; ok: boolean },
  ) =>
    own(
      circuitBreaker({
        failureThreshold: 1,
        resetTimeoutMs: 200,
        redis: client(r.url),
        keyPrefix: r.prefix,
        logger: false,
        ...options,
      })(async () => {
        dep.calls++;
        if (!dep.ok) throw fail();
        return 'f';
      }),
    );
  const channel = `${r.prefix}breaker:changes`;

  it('a pub/sub message older than the state the breaker knows (a smaller epoch) is ignored; a newer one is applied', async () => {
    const c = client(r.url);
    const settings = { resetTimeoutMs: 60_000, keyPrefix: r.prefix, logger: false as const };
    const f = own(circuitBreaker({ ...settings, name: name(), redis: c })(async () => 'f'));
    // a second circuit on the same subscriber: its messages arrive in order with f's
    const g = own(circuitBreaker({ ...settings, name: name(), redis: c })(async () => 'g'));
    await f.breaker.ready();
    await g.breaker.ready();
    const until = (await redisMs()) + 60_000;
    const now = await redisMs();
    const epoch = (await redisMs()) * 1000 + 10_000_000; // newer than anything Redis wrote
    await r.admin.publish(channel, `${f.breaker.name}|open|${until}|${now}|${epoch}`);
    await waitFor(() => f.breaker.state === 'open', { what: 'the newer message to apply' });
    expect(f.breaker.nextProbeInMs).toBeGreaterThan(50_000);
    // an older close (crossed on the way), then a marker for g that shows it was delivered
    await r.admin.publish(channel, `${f.breaker.name}|closed|0|${now}|${epoch - 1}`);
    await r.admin.publish(channel, `${g.breaker.name}|open|${until}|${now}|${epoch}`);
    await waitFor(() => g.breaker.state === 'open', { what: 'the marker message' });
    expect(f.breaker.state).toBe('open');
    await expect(f()).rejects.toBeInstanceOf(CircuitOpenError);
  });

  it('after the reset timeout, a circuit closed in Redis meanwhile (no message heard) lets the call through as a plain call, not a probe', async () => {
    const n = name();
    const key = `${r.prefix}{breaker:${n}}`;
    const dep = { calls: 0, ok: false };
    const f = opensAtOnce({ name: n }, dep);
    const seen: string[] = [];
    f.breaker.onStateChange((e) => seen.push(`${e.from}->${e.to}`));
    await f.breaker.ready();
    await expect(f()).rejects.toMatchObject({ status: 503 });
    expect(f.breaker.state).toBe('open');
    await waitFor(() => f.breaker.nextProbeInMs === 0, { what: 'the reset timeout' });
    // closed elsewhere, without a message on the channel
    await r.admin.hset(
      key,
      'state',
      'closed',
      'failures',
      '0',
      'openUntil',
      '0',
      'epoch',
      String(Number((await hash(key)).epoch) + 1),
    );
    dep.ok = true;
    await expect(f()).resolves.toBe('f');
    expect(dep.calls).toBe(2);
    expect(f.breaker.state).toBe('closed');
    expect(seen).toEqual(['closed->open', 'open->closed']);
    expect((await hash(key)).state).toBe('closed');
  });

  it('a call made while this process is asking Redis for the probe is rejected at once (retry now), and only the probe calls the function', async () => {
    const dep = { calls: 0, ok: false };
    const f = opensAtOnce({ name: name(), probeLeaseMs: 10_000 }, dep);
    await f.breaker.ready();
    await expect(f()).rejects.toMatchObject({ status: 503 });
    await waitFor(() => f.breaker.nextProbeInMs === 0, { what: 'the reset timeout' });
    dep.ok = true;
    const probe = f();
    const second = await f().catch((e: unknown) => e);
    expect(second).toBeInstanceOf(CircuitOpenError);
    expect((second as CircuitOpenError).retryAfterMs).toBe(0);
    await expect(probe).resolves.toBe('f');
    expect(dep.calls).toBe(2);
    expect(f.breaker.state).toBe('closed');
  });

  it('ready() resolves once the breaker listens on the change channel', async () => {
    const prefix = `${r.prefix}ready${++seq}:`;
    const f = own(
      circuitBreaker({ name: name(), redis: r.redis, keyPrefix: prefix, logger: false })(
        async () => 'f',
      ),
    );
    await f.breaker.ready();
    const [, subscribers] = (await r.admin.pubsub('NUMSUB', `${prefix}breaker:changes`)) as [
      string,
      number,
    ];
    expect(Number(subscribers)).toBe(1);
  });
});
