// More in-process breakers on the shared test Redis (this file's own prefix), for what
// inproc.redis.test.ts leaves open (issue #23): a Redis that answers the breaker's script with an
// error and what the breaker does once the back-off after it is over, a probe granted in memory
// whose result reaches Redis later, the quorum set, the configuration configure() stores, flush(),
// ready() and messages on the change channel that are not the breaker's. Also run by Stryker for
// every mutant (loaded by test/mutation/all.ts): no worker processes, no redis-server of its own.
// The client kind is RESIL_REDIS_CLIENT's (ioredis by default), as in inproc.redis.
import { useRedis, waitFor } from '@resil/testkit';
import { CircuitOpenError, circuitBreaker, type StateChangeEvent } from '../../src';
import { circuitReader, drop, ownClients, reconnect } from '../helpers/redis';
import { closeAfterEach } from '../helpers/track';

const r = useRedis('breaker-inproc-more');
let seq = 0;
const name = () => `inproc-more.${process.pid}.${++seq}`;
const fail = () => Object.assign(new Error('HTTP 503'), { status: 503 });

const track = closeAfterEach();
const clients = ownClients();
const createClient = clients.create;

/** Generous, as in inproc.redis: a slow command on a loaded machine must not send it to memory. */
const commandTimeoutMs = 5_000;

const { hash, redisMs } = circuitReader(r);
const keyOf = (n: string) => `${r.prefix}{breaker:${n}}`;
/** The channel every breaker under this prefix listens to (`<prefix>breaker:changes`). */
const channel = () => `${r.prefix}breaker:changes`;

describe('breaker on the shared Redis, in process: errors answered by Redis', () => {
  it('a script answered with an error (the circuit key holds a string) sends the breaker to memory: degraded "failed", the caller sees its own error, the count goes on in memory', async () => {
    const n = name();
    const key = keyOf(n);
    const f = track(
      circuitBreaker({
        name: n,
        failureThreshold: 2,
        resetTimeoutMs: 60_000,
        redis: createClient(),
        keyPrefix: r.prefix,
        commandTimeoutMs,
        logger: false,
      })(async () => {
        throw fail();
      }),
    );
    const degraded: unknown[] = [];
    f.breaker.onDegraded((e) => degraded.push(e));
    await f.breaker.ready();
    await r.admin.set(key, 'not a hash');
    await expect(f()).rejects.toMatchObject({ status: 503 });
    expect(f.breaker.degraded).toBe(true);
    expect(degraded).toEqual([{ name: n, reason: 'failed' }]);
    expect(f.breaker.failures).toBe(1);
    // in the back-off: not sent to Redis, counted here; the threshold opens in memory
    await expect(f()).rejects.toMatchObject({ status: 503 });
    expect(f.breaker.state).toBe('open');
    await expect(f()).rejects.toBeInstanceOf(CircuitOpenError);
    expect(await r.admin.get(key)).toBe('not a hash');
  });

  it('once the back-off after such an error is over, a circuit opened in memory asks Redis before a probe: opened meanwhile by another worker, it stays open (no call), and the breaker is restored', async () => {
    const n = name();
    const key = keyOf(n);
    let calls = 0;
    const f = track(
      circuitBreaker({
        name: n,
        failureThreshold: 1,
        // longer than the 1 s back-off that follows the error: when a probe is due, Redis may be
        // asked again
        resetTimeoutMs: 1_500,
        redis: createClient(),
        keyPrefix: r.prefix,
        commandTimeoutMs,
        logger: false,
      })(async () => {
        calls++;
        if (calls === 1) throw fail();
        return 'ok';
      }),
    );
    const restored: unknown[] = [];
    f.breaker.onRestored((e) => restored.push(e));
    await f.breaker.ready();
    await r.admin.set(key, 'not a hash');
    await expect(f()).rejects.toMatchObject({ status: 503 });
    expect(f.breaker.degraded).toBe(true);
    expect(f.breaker.state).toBe('open');
    // another worker opened the circuit for a minute, without a message this one could hear
    await r.admin.del(key);
    const until = (await redisMs()) + 60_000;
    await r.admin.hset(key, 'state', 'open', 'failures', '3', 'openUntil', String(until));
    await r.admin.hset(key, 'probeUntil', '0', 'epoch', '7');
    await waitFor(() => f.breaker.nextProbeInMs === 0, {
      timeoutMs: 5_000,
      what: 'the reset timeout of the circuit opened in memory',
    });
    const err = await f().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CircuitOpenError);
    expect((err as CircuitOpenError).retryAfterMs).toBeGreaterThan(50_000);
    expect(calls).toBe(1);
    expect(f.breaker.degraded).toBe(false);
    expect(restored).toEqual([{ name: n, downMs: expect.any(Number) }]);
    expect(f.breaker.state).toBe('open');
    expect(f.breaker.failures).toBe(3);
  });
});

describe('breaker on the shared Redis, in process: probes and quorum', () => {
  it('a probe granted in memory while the client was down, whose success comes after Redis is back, closes the circuit in Redis too (its result is not fenced)', async () => {
    const c = createClient();
    const n = name();
    const key = keyOf(n);
    let calls = 0;
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const f = track(
      circuitBreaker({
        name: n,
        failureThreshold: 1,
        resetTimeoutMs: 100,
        probeLeaseMs: 60_000,
        redis: c,
        keyPrefix: r.prefix,
        commandTimeoutMs,
        logger: false,
      })(async () => {
        calls++;
        if (calls === 1) throw fail();
        await gate;
        return 'ok';
      }),
    );
    await f.breaker.ready();
    await drop(c);
    await expect(f()).rejects.toMatchObject({ status: 503 });
    expect(f.breaker.degraded).toBe(true);
    await waitFor(() => f.breaker.nextProbeInMs === 0, { timeoutMs: 5_000, what: 'reset timeout' });
    // the probe, granted in memory (Redis is away), waits on the gate
    const probe = f();
    await waitFor(() => calls === 2, { timeoutMs: 5_000, what: 'the probe to start' });
    expect(f.breaker.state).toBe('halfOpen');
    // meanwhile another worker has the circuit half-open in Redis
    const now = await redisMs();
    await r.admin.hset(key, 'state', 'halfOpen', 'failures', '1', 'openUntil', String(now));
    await r.admin.hset(key, 'probeUntil', String(now + 60_000), 'epoch', '5', 'permits', '1');
    await reconnect(c);
    await waitFor(() => !f.breaker.degraded, { timeoutMs: 5_000, what: 'the client to be back' });
    expect(f.breaker.state).toBe('halfOpen');
    release();
    await expect(probe).resolves.toBe('ok');
    expect(await hash(key)).toMatchObject({ state: 'closed', failures: '0' });
    expect(f.breaker.state).toBe('closed');
  });

  it('quorum 2: the workers that failed are kept in <key>:q (scored by Redis ms, expiring after 2 × windowMs); one worker alone does not open, a second one does', async () => {
    const n = name();
    const key = keyOf(n);
    const base = {
      name: n,
      failureThreshold: 2,
      quorum: 2,
      windowMs: 60_000,
      resetTimeoutMs: 60_000,
      keyPrefix: r.prefix,
      commandTimeoutMs,
      logger: false as const,
    };
    const failing = async () => {
      throw fail();
    };
    const a = track(circuitBreaker({ ...base, workerId: 'w1', redis: r.redis })(failing));
    const b = track(circuitBreaker({ ...base, workerId: 'w2', redis: createClient() })(failing));
    await Promise.all([a.breaker.ready(), b.breaker.ready()]);
    const t0 = await redisMs();
    await expect(a()).rejects.toMatchObject({ status: 503 });
    await expect(a()).rejects.toMatchObject({ status: 503 });
    await expect(a()).rejects.toMatchObject({ status: 503 });
    expect(a.breaker.state).toBe('closed');
    const q = await r.admin.zrange(`${key}:q`, 0, -1, 'WITHSCORES');
    expect(q[0]).toBe('w1');
    expect(Number(q[1])).toBeGreaterThanOrEqual(t0);
    expect(q).toHaveLength(2);
    const ttl = await r.admin.pttl(`${key}:q`);
    expect(ttl).toBeGreaterThan(100_000);
    expect(ttl).toBeLessThanOrEqual(120_000);
    await expect(b()).rejects.toMatchObject({ status: 503 });
    expect(b.breaker.state).toBe('open');
    expect((await hash(key)).state).toBe('open');
    await waitFor(() => a.breaker.state === 'open', { timeoutMs: 5_000, what: 'open by pub/sub' });
  });
});

describe('breaker on the shared Redis, in process: the stored configuration', () => {
  it('configure({ resetTimeoutMs }) without back-off stores the maximum that follows it too, so that every worker applies the same', async () => {
    const n = name();
    const f = track(
      circuitBreaker({
        name: n,
        resetTimeoutMs: 1_000,
        redis: r.redis,
        keyPrefix: r.prefix,
        commandTimeoutMs,
        logger: false,
      })(async () => 'ok'),
    );
    await f.breaker.ready();
    const res = await f.breaker.configure({ resetTimeoutMs: 500 });
    expect(res.shared).toBe(true);
    expect(JSON.parse((await r.admin.get(`${keyOf(n)}:config`)) ?? 'null')).toEqual({
      _v: 1, // the version of the stored configuration
      resetTimeoutMs: 500,
      resetTimeoutMaxMs: 500,
    });
    expect(f.breaker.settings).toMatchObject({ resetTimeoutMs: 500, resetTimeoutMaxMs: 500 });
  });
});

describe('breaker on the shared Redis, in process: only what configure() changed is stored; flush()', () => {
  it('configure({ failureThreshold }) stores that option alone (the maximum open duration, unchanged, is not stored)', async () => {
    const n = name();
    const f = track(
      circuitBreaker({
        name: n,
        resetTimeoutMs: 1_000,
        resetTimeoutMaxMs: 8_000,
        redis: r.redis,
        keyPrefix: r.prefix,
        commandTimeoutMs,
        logger: false,
      })(async () => 'ok'),
    );
    await f.breaker.ready();
    expect((await f.breaker.configure({ failureThreshold: 4 })).shared).toBe(true);
    expect(JSON.parse((await r.admin.get(`${keyOf(n)}:config`)) ?? 'null')).toEqual({
      _v: 1,
      failureThreshold: 4,
    });
  });

  it('rate mode: successes are batched in this process; flush() sends them to the window <key>:w at once', async () => {
    const n = name();
    const f = track(
      circuitBreaker({
        name: n,
        mode: 'rate',
        flushEvery: 100,
        flushIntervalMs: 60_000,
        resetTimeoutMs: 60_000,
        redis: r.redis,
        keyPrefix: r.prefix,
        commandTimeoutMs,
        logger: false,
      })(async () => 'ok'),
    );
    await f.breaker.ready();
    for (let i = 0; i < 3; i++) await expect(f()).resolves.toBe('ok');
    expect(await r.admin.exists(`${keyOf(n)}:w`)).toBe(0);
    await f.breaker.flush();
    const w = await r.admin.hgetall(`${keyOf(n)}:w`);
    const sum = (prefix: string) =>
      Object.entries(w)
        .filter(([k]) => k.startsWith(prefix))
        .reduce((t, [, v]) => t + Number(v), 0);
    expect([sum('c:'), sum('f:')]).toEqual([3, 0]);
    expect(f.breaker.stats).toMatchObject({ calls: 3, successes: 3 });
  });
});

describe('breaker on the shared Redis, in process: ready()', () => {
  it('ready() resolves after the read that follows the subscription: a change made in Redis while the breaker was subscribing (no message heard) is known once ready() resolves', async () => {
    const c = createClient();
    // the change channel's connection (a duplicate of the client) subscribes when the gate opens
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const duplicable = c as unknown as { duplicate(...a: unknown[]): Record<string, unknown> };
    const duplicate = duplicable.duplicate.bind(c);
    duplicable.duplicate = (...a: unknown[]) => {
      const d = duplicate(...a);
      const subscribe = (d.subscribe as (...b: unknown[]) => Promise<unknown>).bind(d);
      d.subscribe = async (...b: unknown[]) => {
        await gate;
        return subscribe(...b);
      };
      return d;
    };
    const n = name();
    const key = keyOf(n);
    const f = track(
      circuitBreaker({
        name: n,
        resetTimeoutMs: 60_000,
        redis: c,
        keyPrefix: r.prefix,
        commandTimeoutMs,
        logger: false,
      })(async () => 'f'),
    );
    let ready = false;
    const whenReady = f.breaker.ready().then(() => {
      ready = true;
    });
    await f.breaker.refresh(); // the first read is done: closed
    expect(f.breaker.state).toBe('closed');
    expect(ready).toBe(false);
    // opened by another worker meanwhile, its message published before this breaker listened
    const now = await redisMs();
    await r.admin.hset(key, 'state', 'open', 'failures', '5', 'openUntil', String(now + 60_000));
    await r.admin.hset(key, 'probeUntil', '0', 'epoch', String(now * 1000 + 1_000_000));
    open();
    await whenReady;
    expect(f.breaker.state).toBe('open');
    expect(f.breaker.failures).toBe(5);
  });
});

describe('breaker on the shared Redis, in process: messages on the change channel', () => {
  it('malformed messages and messages for other names change nothing; the next real change is applied', async () => {
    const n = name();
    const base = {
      name: n,
      failureThreshold: 3,
      resetTimeoutMs: 60_000,
      keyPrefix: r.prefix,
      commandTimeoutMs,
      logger: false as const,
    };
    const a = track(circuitBreaker({ ...base, redis: r.redis })(async () => 'a'));
    const b = track(circuitBreaker({ ...base, redis: createClient() })(async () => 'b'));
    await Promise.all([a.breaker.ready(), b.breaker.ready()]);
    const seen: StateChangeEvent[] = [];
    const configured: unknown[] = [];
    b.breaker.onStateChange((e) => seen.push(e));
    b.breaker.onConfigured((e) => configured.push(e));
    const now = await redisMs();
    for (const message of [
      `open|${now + 60_000}|${now}|99`, // no name
      `${n}|open|${now + 60_000}`, // too few fields
      `other.${n}|open|${now + 60_000}|${now}|99`, // a name nobody here listens to
      '\x011', // a configuration message without its parts
      '\x011|{"failureThreshold":1}', // ... without the name
      `\x011|{"failureThreshold":1}|other.${n}`, // ... for another name
    ])
      await r.admin.publish(channel(), message);
    // a real change after them: when b has it, b has had the messages before it
    await a.breaker.open();
    await waitFor(() => b.breaker.state === 'open', { timeoutMs: 5_000, what: 'open by pub/sub' });
    expect(seen).toEqual([{ name: n, from: 'closed', to: 'open' }]);
    expect(configured).toEqual([]);
    expect(b.breaker.settings.failureThreshold).toBe(3);
    expect(b.breaker.nextProbeInMs).toBeGreaterThan(50_000);
    await a.breaker.configure({ failureThreshold: 4 });
    await waitFor(() => b.breaker.settings.failureThreshold === 4, {
      timeoutMs: 5_000,
      what: 'the configuration by pub/sub',
    });
    expect(configured).toEqual([{ name: n, changed: ['failureThreshold'] }]);
    expect((await hash(keyOf(n))).state).toBe('open');
  });
});

describe('breaker on the shared Redis, in process: the link of a client after its last breaker closed', () => {
  it('a new breaker on the same client and prefix gets a working link again: its failures reach Redis, it hears another client', async () => {
    const n = name();
    const client = createClient();
    let healthy = true;
    const options = {
      name: n,
      failureThreshold: 1,
      redis: client,
      keyPrefix: r.prefix,
      commandTimeoutMs,
      logger: false as const,
    };
    const call = async () => {
      if (!healthy) throw fail();
      return 'ok';
    };
    const first = track(circuitBreaker(options)(call));
    await first.breaker.ready();
    await expect(first()).resolves.toBe('ok');
    // the last breaker on this client and prefix: its link (bounded caller, subscriber) is closed
    await first.breaker.close();
    const again = track(circuitBreaker(options)(call));
    await again.breaker.ready();
    healthy = false;
    await expect(again()).rejects.toMatchObject({ status: 503 });
    // the failure went through Redis (a closed link would have sent the breaker to memory)
    expect(again.breaker.degraded).toBe(false);
    expect((await hash(keyOf(n))).state).toBe('open');
    // and the new link listens: another client's close reaches it
    const other = track(circuitBreaker({ ...options, redis: createClient() })(call));
    await other.breaker.ready();
    await other.breaker.forceClose();
    await waitFor(() => again.breaker.state === 'closed', {
      timeoutMs: 5_000,
      what: 'close by pub/sub on the new link',
    });
  });
});
