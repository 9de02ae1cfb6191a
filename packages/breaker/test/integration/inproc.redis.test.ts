// In-process breakers on the shared test Redis (this file's own prefix): what each transition
// leaves in the circuit's hash (state, failures, openUntil, probeUntil, epoch, TTL), the events
// and their payloads, pub/sub between two clients, and the fall-back to memory when the client
// cannot reach Redis. Also run by Stryker for every mutant (jest.mutation.config.cjs): no worker
// processes, no redis-server of its own.
import type { RedisClient } from '@resil/core';
import { useRedis, waitFor } from '@resil/testkit';
import { Redis } from 'ioredis';
import {
  CircuitOpenError,
  circuitBreaker,
  isCircuitOpenError,
  type StateChangeEvent,
} from '../../src';
import { circuitReader, drop, ownClients, reconnect } from '../helpers/redis';
import { closeAfterEach } from '../helpers/track';

const r = useRedis('breaker-inproc');
let seq = 0;
const name = () => `inproc.${process.pid}.${++seq}`;
const fail = (status = 503) => Object.assign(new Error(`HTTP ${status}`), { status });

const track = closeAfterEach();
const clients = ownClients();
const createClient = clients.create;

/**
 * Generous: these tests check what each transition leaves in Redis, and on a loaded 2-core
 * machine a command can take longer than the 300 ms default, which would (correctly) send the
 * breaker to memory, a mode other tests cover.
 */
const commandTimeoutMs = 5_000;

/** A breaker whose function fails or succeeds as `mode.ok` says. */
function make(extra: Record<string, unknown> = {}, redis: RedisClient = r.redis) {
  const mode = { ok: false, calls: 0 };
  const f = track(
    circuitBreaker({
      name: name(),
      failureThreshold: 3,
      resetTimeoutMs: 60_000,
      redis,
      keyPrefix: r.prefix,
      commandTimeoutMs,
      logger: false,
      ...extra,
    })(async () => {
      mode.calls++;
      if (!mode.ok) throw fail();
      return 'ok';
    }),
  );
  const key = `${r.prefix}{breaker:${f.breaker.name}}`;
  return { f, mode, key };
}

const { hash, redisMs } = circuitReader(r);

/**
 * Calls `f` until a call is admitted (its function starts: `started()` turns positive) and returns
 * that call (not settled: its function may be held by the test). A breaker holds a shared deadline
 * (reset timeout, probe lease) as "what Redis said was left" counted from when the answer or
 * message reached it (circuit.ts, #apply), so its local deadline is late by that delivery time,
 * never early: a call made the moment Redis's clock passed the deadline can be refused at once,
 * without a round trip (CircuitOpenError, "next probe in 14 ms" here; CI under load failed on it),
 * and a caller asks again after retryAfterMs. No refusal may ask for more than `maxWaitMs` (the
 * longest deadline of the test).
 */
async function admitted(
  f: () => Promise<unknown>,
  started: () => number,
  maxWaitMs: number,
): Promise<{ call: Promise<unknown> }> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const call = f().catch((e: unknown) => e);
    let settled = false;
    const outcome = await Promise.race([
      call.finally(() => {
        settled = true;
      }),
      (async () => {
        while (started() <= 0 && !settled) await new Promise((res) => setTimeout(res, 5));
        return started() > 0 ? ADMITTED : undefined;
      })(),
    ]);
    if (outcome === ADMITTED) return { call }; // not `call` itself: an async function would wait for it
    expect(outcome).toBeInstanceOf(CircuitOpenError);
    const { retryAfterMs } = outcome as CircuitOpenError;
    expect(retryAfterMs).toBeLessThanOrEqual(maxWaitMs);
    await new Promise((res) => setTimeout(res, retryAfterMs + 1));
  }
  throw new Error('admitted: refused 100 times');
}
const ADMITTED = Symbol('admitted');

describe('breaker on the shared Redis, in process', () => {
  // Each test awaits ready() first: the read made once the subscription is confirmed could
  // otherwise cross the test's first commands (see the README, "Known limits").
  it('reports storage redis, not degraded; the key is <prefix>{breaker:<name>}; nothing is written before a failure', async () => {
    const { f, mode, key } = make();
    await f.breaker.ready();
    expect(f.breaker.storage).toBe('redis');
    expect(f.breaker.degraded).toBe(false);
    mode.ok = true;
    await expect(f()).resolves.toBe('ok');
    expect(await r.admin.exists(key)).toBe(0);
  });

  it('failures below the threshold are counted in the hash (closed, failures n, an epoch); a success sets failures to 0', async () => {
    const { f, mode, key } = make();
    await f.breaker.ready();
    await expect(f()).rejects.toMatchObject({ status: 503 });
    await expect(f()).rejects.toMatchObject({ status: 503 });
    expect(f.breaker.failures).toBe(2);
    expect(f.breaker.state).toBe('closed');
    const h = await hash(key);
    expect(h).toMatchObject({ state: 'closed', failures: '2' });
    expect(Number(h.epoch)).toBeGreaterThan(0);
    const ttl = await r.admin.pttl(key);
    expect(ttl).toBeGreaterThan(86_000_000);
    expect(ttl).toBeLessThanOrEqual(86_400_000);
    mode.ok = true;
    await expect(f()).resolves.toBe('ok');
    expect(f.breaker.failures).toBe(0);
    await waitFor(async () => (await hash(key)).failures === '0', {
      timeoutMs: 5_000,
      what: 'the success to reset the shared count',
    });
    // the count starts again: two more failures do not open a threshold-3 circuit
    mode.ok = false;
    await expect(f()).rejects.toThrow();
    await expect(f()).rejects.toThrow();
    expect(f.breaker.state).toBe('closed');
    expect((await hash(key)).failures).toBe('2');
  });

  it('the failure that reaches the threshold opens: hash open, failures, openUntil = Redis now + resetTimeoutMs, probeUntil 0, a larger epoch; then calls are rejected', async () => {
    const { f, mode, key } = make();
    await f.breaker.ready();
    const events: StateChangeEvent[] = [];
    f.breaker.onStateChange((e) => events.push(e));
    await expect(f()).rejects.toThrow();
    await expect(f()).rejects.toThrow();
    const before = Number((await hash(key)).epoch);
    const t0 = await redisMs();
    await expect(f()).rejects.toThrow();
    const t1 = await redisMs();
    const h = await hash(key);
    expect(h).toMatchObject({ state: 'open', failures: '3', probeUntil: '0' });
    expect(Number(h.openUntil)).toBeGreaterThanOrEqual(t0 + 60_000);
    expect(Number(h.openUntil)).toBeLessThanOrEqual(t1 + 60_000);
    expect(Number(h.epoch)).toBeGreaterThan(before);
    expect(f.breaker.state).toBe('open');
    expect(f.breaker.failures).toBe(3);
    expect(events).toEqual([{ name: f.breaker.name, from: 'closed', to: 'open' }]);
    expect(f.breaker.nextProbeInMs).toBeGreaterThan(50_000);
    expect(f.breaker.nextProbeInMs).toBeLessThanOrEqual(60_000);
    const err = await f().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CircuitOpenError);
    expect((err as CircuitOpenError).retryAfterMs).toBeGreaterThan(50_000);
    expect(mode.calls).toBe(3);
    expect(f.breaker.stats).toMatchObject({ calls: 4, failures: 3, rejects: 1, successes: 0 });
  });

  it('a failure counted while the hash says open (opened by another worker, message not yet heard) is not counted: the breaker learns the open state', async () => {
    const { f, key } = make({ failureThreshold: 5 });
    await f.breaker.ready();
    const until = (await redisMs()) + 60_000;
    // opened elsewhere, without a message on the channel
    await r.admin.hset(
      key,
      'state',
      'open',
      'failures',
      '5',
      'openUntil',
      String(until),
      'epoch',
      '1',
    );
    expect(f.breaker.state).toBe('closed');
    await expect(f()).rejects.toMatchObject({ status: 503 });
    expect(await hash(key)).toMatchObject({
      state: 'open',
      failures: '5',
      openUntil: String(until),
    });
    expect(f.breaker.state).toBe('open');
    expect(f.breaker.failures).toBe(5);
    expect(f.breaker.nextProbeInMs).toBeGreaterThan(50_000);
  });

  it('open() and close() set the hash for everyone, with larger epochs, and reach another client by pub/sub with the event payload', async () => {
    const { f, key } = make({ resetTimeoutMs: 30_000 });
    await f.breaker.ready();
    const other = createClient();
    const b = track(
      circuitBreaker({
        name: f.breaker.name,
        failureThreshold: 3,
        resetTimeoutMs: 30_000,
        redis: other,
        keyPrefix: r.prefix,
        logger: false,
      })(async () => 'b'),
    );
    const seen: StateChangeEvent[] = [];
    b.breaker.onStateChange((e) => seen.push(e));
    await b.breaker.ready();
    const t0 = await redisMs();
    await f.breaker.open();
    const opened = await hash(key);
    expect(opened).toMatchObject({ state: 'open', failures: '0', probeUntil: '0' });
    expect(Number(opened.openUntil)).toBeGreaterThanOrEqual(t0 + 30_000);
    expect(f.breaker.state).toBe('open');
    await waitFor(() => b.breaker.state === 'open', { timeoutMs: 5_000, what: 'open by pub/sub' });
    expect(b.breaker.nextProbeInMs).toBeGreaterThan(20_000);
    expect(b.breaker.nextProbeInMs).toBeLessThanOrEqual(30_000);
    await expect(b()).rejects.toBeInstanceOf(CircuitOpenError);
    await f.breaker.forceClose();
    const closed = await hash(key);
    expect(closed).toMatchObject({
      state: 'closed',
      failures: '0',
      openUntil: '0',
      probeUntil: '0',
    });
    expect(Number(closed.epoch)).toBeGreaterThan(Number(opened.epoch));
    await waitFor(() => b.breaker.state === 'closed', {
      timeoutMs: 5_000,
      what: 'close by pub/sub',
    });
    expect(b.breaker.nextProbeInMs).toBe(0);
    expect(seen).toEqual([
      { name: f.breaker.name, from: 'closed', to: 'open' },
      { name: f.breaker.name, from: 'open', to: 'closed' },
    ]);
    await expect(b()).resolves.toBe('b');
  });

  it('a name containing "|" is still matched by the pub/sub message', async () => {
    const n = `a|b|${name()}`;
    const settings = {
      name: n,
      resetTimeoutMs: 30_000,
      keyPrefix: r.prefix,
      logger: false as const,
    };
    const a = track(circuitBreaker({ ...settings, redis: r.redis })(async () => 'a'));
    const b = track(circuitBreaker({ ...settings, redis: createClient() })(async () => 'b'));
    await b.breaker.ready();
    await a.breaker.open();
    await waitFor(() => b.breaker.state === 'open', { timeoutMs: 5_000, what: 'open by pub/sub' });
  });

  it('a breaker created while the circuit is open rejects its first call without calling; refresh() reads a change made in Redis', async () => {
    const { f, key } = make();
    await f.breaker.ready();
    await f.breaker.open();
    const g = track(
      circuitBreaker({
        name: f.breaker.name,
        failureThreshold: 3,
        resetTimeoutMs: 60_000,
        redis: createClient(),
        keyPrefix: r.prefix,
        logger: false,
      })(async () => 'g'),
    );
    await expect(g()).rejects.toBeInstanceOf(CircuitOpenError);
    expect(g.breaker.state).toBe('open');
    // a change nobody published: refresh() reads it
    await r.admin.hset(
      key,
      'state',
      'closed',
      'openUntil',
      '0',
      'epoch',
      String(Number((await hash(key)).epoch) + 1),
    );
    await g.breaker.refresh();
    expect(g.breaker.state).toBe('closed');
    await expect(g()).resolves.toBe('g');
  });

  it('after the reset timeout one probe is granted: hash halfOpen with probeUntil = now + probeLeaseMs; its success closes (failures 0), its failure reopens (failures + 1)', async () => {
    const { f, mode, key } = make({
      failureThreshold: 2,
      resetTimeoutMs: 200,
      probeLeaseMs: 10_000,
    });
    await f.breaker.ready();
    const events: StateChangeEvent[] = [];
    f.breaker.onStateChange((e) => events.push(e));
    await expect(f()).rejects.toThrow();
    await expect(f()).rejects.toThrow();
    expect((await hash(key)).state).toBe('open');
    await waitFor(() => f.breaker.nextProbeInMs === 0, { timeoutMs: 5_000, what: 'reset timeout' });
    // a probe that fails: open again with one more failure
    const t0 = await redisMs();
    await expect(f()).rejects.toMatchObject({ status: 503 });
    const reopened = await hash(key);
    expect(reopened).toMatchObject({ state: 'open', failures: '3', probeUntil: '0' });
    expect(Number(reopened.openUntil)).toBeGreaterThanOrEqual(t0 + 200);
    expect(f.breaker.state).toBe('open');
    expect(f.breaker.failures).toBe(3);
    await waitFor(() => f.breaker.nextProbeInMs === 0, { timeoutMs: 5_000, what: 'reset timeout' });
    // a probe that hangs: the hash shows its lease
    let release!: () => void;
    mode.ok = true;
    const hanging = track(
      circuitBreaker({
        name: f.breaker.name,
        failureThreshold: 2,
        resetTimeoutMs: 200,
        probeLeaseMs: 10_000,
        redis: r.redis,
        keyPrefix: r.prefix,
        commandTimeoutMs,
        logger: false,
      })(() => new Promise<string>((res) => (release = () => res('probe')))),
    );
    const t1 = await redisMs();
    const probe = hanging();
    await waitFor(() => release !== undefined, { timeoutMs: 5_000, what: 'the probe to start' });
    const half = await hash(key);
    expect(half.state).toBe('halfOpen');
    expect(Number(half.probeUntil)).toBeGreaterThanOrEqual(t1 + 10_000);
    expect(Number(half.probeUntil)).toBeLessThanOrEqual((await redisMs()) + 10_000);
    expect(f.breaker.state).toBe('halfOpen');
    const rejected = await f().catch((e: unknown) => e);
    expect(isCircuitOpenError(rejected)).toBe(true);
    // The lease left, not a reset timeout: at least what Redis's clock leaves of it after the
    // refusal (a local deadline is late by the delivery time, never early), whatever the load.
    const afterRefusal = await redisMs();
    expect((rejected as CircuitOpenError).retryAfterMs).toBeGreaterThanOrEqual(
      Number(half.probeUntil) - afterRefusal - 1,
    );
    // ... and that bound still tells the lease (10 s) from the reset timeout (200 ms)
    expect(Number(half.probeUntil) - afterRefusal).toBeGreaterThan(1_000);
    release();
    await expect(probe).resolves.toBe('probe');
    expect(await hash(key)).toMatchObject({
      state: 'closed',
      failures: '0',
      openUntil: '0',
      probeUntil: '0',
    });
    expect(f.breaker.state).toBe('closed');
    expect(f.breaker.failures).toBe(0);
    expect(events.map((e) => `${e.from}->${e.to}`)).toEqual([
      'closed->open',
      'open->halfOpen',
      'halfOpen->open',
      'open->halfOpen',
      'halfOpen->closed',
    ]);
    await expect(f()).resolves.toBe('ok');
  });

  it('another client sees the running probe (halfOpen) and is rejected with the lease left', async () => {
    const { f, key } = make({ failureThreshold: 1, resetTimeoutMs: 100, probeLeaseMs: 10_000 });
    await f.breaker.ready();
    let release!: () => void;
    const p = track(
      circuitBreaker({
        name: f.breaker.name,
        failureThreshold: 1,
        resetTimeoutMs: 100,
        probeLeaseMs: 10_000,
        redis: createClient(),
        keyPrefix: r.prefix,
        logger: false,
      })(() => new Promise<string>((res) => (release = () => res('probe')))),
    );
    await p.breaker.ready();
    await expect(f()).rejects.toThrow();
    await waitFor(() => p.breaker.state === 'open', { timeoutMs: 5_000, what: 'open by pub/sub' });
    await waitFor(() => p.breaker.nextProbeInMs === 0 && f.breaker.nextProbeInMs === 0, {
      timeoutMs: 5_000,
      what: 'reset timeout',
    });
    const probe = p();
    await waitFor(() => release !== undefined, { timeoutMs: 5_000, what: 'the probe to start' });
    const half = await hash(key);
    expect(half.state).toBe('halfOpen');
    const err = await f().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CircuitOpenError);
    // The lease left (10 s), bounded by Redis's clock read after the refusal, not a fixed share.
    const afterRefusal = await redisMs();
    expect((err as CircuitOpenError).retryAfterMs).toBeGreaterThanOrEqual(
      Number(half.probeUntil) - afterRefusal - 1,
    );
    expect(Number(half.probeUntil) - afterRefusal).toBeGreaterThan(1_000);
    expect(f.breaker.state).toBe('halfOpen');
    release();
    await probe;
    await waitFor(() => f.breaker.state === 'closed', {
      timeoutMs: 5_000,
      what: 'close by pub/sub',
    });
  });

  it('with an unreachable Redis the breaker is degraded (event, logger warn), counts in memory and opens at the threshold', async () => {
    const dead = new Redis({
      port: 1,
      host: '127.0.0.1',
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    dead.on('error', () => {});
    clients.own(dead);
    const logger = { debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn() };
    const n = name();
    const degraded: unknown[] = [];
    const f = track(
      circuitBreaker({
        name: n,
        failureThreshold: 2,
        resetTimeoutMs: 60_000,
        commandTimeoutMs: 500,
        redis: dead,
        keyPrefix: r.prefix,
        logger,
      })(async () => {
        throw fail();
      }),
    );
    f.breaker.onDegraded((e) => degraded.push(e));
    await expect(f()).rejects.toMatchObject({ status: 503 });
    expect(f.breaker.degraded).toBe(true);
    expect(f.breaker.failures).toBe(1);
    expect(f.breaker.state).toBe('closed');
    await expect(f()).rejects.toMatchObject({ status: 503 });
    expect(f.breaker.state).toBe('open');
    await expect(f()).rejects.toBeInstanceOf(CircuitOpenError);
    expect(degraded).toEqual([{ name: n, reason: 'failed' }]);
    expect(logger.warn).toHaveBeenCalledWith(
      'circuit breaker: Redis unavailable, circuit state kept in this process until it returns',
      { event: 'store-degraded', name: n, breaker: n, reason: 'failed' },
    );
    expect(logger.warn).toHaveBeenCalledWith(`circuit breaker ${n} state changed to open`, {
      event: 'circuit-opened',
      name: n,
      breaker: n,
      from: 'closed',
      to: 'open',
    });
  });

  it('configure() is stored under <key>:config and published: a breaker of the name (with "|") on another client applies it with one configured event; one created later reads it', async () => {
    const n = `a|b|${name()}`;
    const key = `${r.prefix}{breaker:${n}}`;
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
    const heard: string[][] = [];
    b.breaker.onConfigured((e) => heard.push([...e.changed]));
    const res = await a.breaker.configure({ failureThreshold: 7 });
    expect(res.shared).toBe(true);
    expect(res.settings.failureThreshold).toBe(7);
    expect(JSON.parse((await r.admin.get(`${key}:config`)) ?? 'null')).toMatchObject({
      failureThreshold: 7,
    });
    await waitFor(() => b.breaker.settings.failureThreshold === 7, {
      timeoutMs: 5_000,
      what: 'the configuration to reach the other client by pub/sub',
    });
    expect(heard).toEqual([['failureThreshold']]);
    const c = track(circuitBreaker({ ...base, redis: createClient() })(async () => 'c'));
    await c.breaker.ready();
    expect(c.breaker.settings.failureThreshold).toBe(7);
  });

  it('rate mode: the counts of breakers of one name on two clients add up in <key>:w; the failure that brings the shared window to minimumCalls opens the circuit for both', async () => {
    const n = name();
    const key = `${r.prefix}{breaker:${n}}`;
    const base = {
      name: n,
      mode: 'rate' as const,
      minimumCalls: 4,
      failureRateThreshold: 0.5,
      windowMs: 60_000,
      resetTimeoutMs: 60_000,
      keyPrefix: r.prefix,
      commandTimeoutMs,
      logger: false as const,
    };
    const failing = async () => {
      throw fail();
    };
    const a = track(circuitBreaker({ ...base, redis: r.redis })(failing));
    const b = track(circuitBreaker({ ...base, redis: createClient() })(failing));
    await Promise.all([a.breaker.ready(), b.breaker.ready()]);
    await expect(a()).rejects.toMatchObject({ status: 503 });
    await expect(a()).rejects.toMatchObject({ status: 503 });
    await expect(b()).rejects.toMatchObject({ status: 503 });
    // three calls in the shared window, each process has seen two or one: still closed
    expect([a.breaker.state, b.breaker.state]).toEqual(['closed', 'closed']);
    expect(await r.admin.exists(`${key}:w`)).toBe(1);
    await expect(b()).rejects.toMatchObject({ status: 503 });
    expect(b.breaker.state).toBe('open');
    await waitFor(() => a.breaker.state === 'open', {
      timeoutMs: 5_000,
      what: 'the open state to reach the other client',
    });
  });

  it('a probe whose lease ran out decides nothing once another client holds the next round: its failure does not reopen the circuit, the new probe decides', async () => {
    const n = name();
    const key = `${r.prefix}{breaker:${n}}`;
    const base = {
      name: n,
      failureThreshold: 1,
      resetTimeoutMs: 100,
      probeLeaseMs: 300,
      keyPrefix: r.prefix,
      commandTimeoutMs,
      logger: false as const,
    };
    const gate = () => {
      let open!: () => void;
      const p = new Promise<void>((resolve) => {
        open = resolve;
      });
      return { p, open };
    };
    const gateA = gate();
    const gateB = gate();
    let aCalls = 0;
    let bCalls = 0;
    const a = track(
      circuitBreaker({ ...base, redis: r.redis })(async () => {
        aCalls++;
        if (aCalls > 1) await gateA.p;
        throw fail();
      }),
    );
    const b = track(
      circuitBreaker({ ...base, redis: createClient() })(async () => {
        bCalls++;
        await gateB.p;
        return 'b';
      }),
    );
    await Promise.all([a.breaker.ready(), b.breaker.ready()]);
    await expect(a()).rejects.toMatchObject({ status: 503 });
    const openUntil = Number((await hash(key)).openUntil);
    await waitFor(async () => (await redisMs()) > openUntil, {
      timeoutMs: 5_000,
      what: 'the reset timeout to pass',
    });
    const { call: probeA } = await admitted(a, () => aCalls - 1, 300);
    expect(aCalls).toBe(2);
    const first = await hash(key);
    expect(first.state).toBe('halfOpen');
    await waitFor(async () => (await redisMs()) > Number(first.probeUntil), {
      timeoutMs: 5_000,
      what: 'the first probe lease to run out',
    });
    const { call: probeB } = await admitted(b, () => bCalls, 300);
    expect(bCalls).toBe(1);
    const second = await hash(key);
    expect(second.state).toBe('halfOpen');
    expect(Number(second.epoch)).toBeGreaterThan(Number(first.epoch));
    gateA.open();
    expect(await probeA).toMatchObject({ status: 503 });
    expect(await hash(key)).toMatchObject({ state: 'halfOpen', epoch: second.epoch });
    gateB.open();
    expect(await probeB).toBe('b');
    expect((await hash(key)).state).toBe('closed');
  });

  it('two breakers of one name on one client both hear a state change made by another client', async () => {
    const n = name();
    const base = {
      name: n,
      resetTimeoutMs: 60_000,
      keyPrefix: r.prefix,
      commandTimeoutMs,
      logger: false as const,
    };
    const one = createClient();
    const a = track(circuitBreaker({ ...base, redis: one })(async () => 'a'));
    const b = track(circuitBreaker({ ...base, redis: one })(async () => 'b'));
    const c = track(circuitBreaker({ ...base, redis: r.redis })(async () => 'c'));
    await Promise.all([a.breaker.ready(), b.breaker.ready(), c.breaker.ready()]);
    await c.breaker.open();
    await waitFor(() => a.breaker.state === 'open' && b.breaker.state === 'open', {
      timeoutMs: 5_000,
      what: 'the open state to reach both breakers of the other client',
    });
  });
});

describe('breaker on the shared Redis, in process: outages and reconnects of its own clients', () => {
  it('a circuit opened in memory while its client is down is pushed to Redis when the client is back: restored event, info log, hash open for what was left', async () => {
    const c = createClient();
    const logger = { debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn() };
    const n = name();
    const key = `${r.prefix}{breaker:${n}}`;
    const f = track(
      circuitBreaker({
        name: n,
        failureThreshold: 1,
        resetTimeoutMs: 60_000,
        redis: c,
        keyPrefix: r.prefix,
        logger,
      })(async () => {
        throw fail();
      }),
    );
    const events: unknown[] = [];
    f.breaker.onDegraded((e) => events.push(['degraded', e]));
    f.breaker.onRestored((e) => events.push(['restored', e]));
    await f.breaker.ready();
    await drop(c);
    await expect(f()).rejects.toMatchObject({ status: 503 });
    expect(f.breaker.degraded).toBe(true);
    expect(f.breaker.state).toBe('open');
    expect(await r.admin.exists(key)).toBe(0);
    await reconnect(c);
    await waitFor(() => events.length === 2, { timeoutMs: 5_000, what: 'the restored event' });
    expect(events).toEqual([
      ['degraded', { name: n, reason: expect.stringMatching(/^(failed|unavailable)$/) }],
      ['restored', { name: n, downMs: expect.any(Number) }],
    ]);
    expect(f.breaker.degraded).toBe(false);
    expect(logger.info).toHaveBeenCalledWith(
      'circuit breaker: Redis available again, circuit state shared again',
      { event: 'store-restored', name: n, breaker: n, downMs: expect.any(Number) },
    );
    await waitFor(async () => (await hash(key)).state === 'open', {
      timeoutMs: 5_000,
      what: 'the open state to be pushed',
    });
    const h = await hash(key);
    expect(Number(h.openUntil)).toBeGreaterThan((await redisMs()) + 50_000);
    expect(Number(h.openUntil)).toBeLessThanOrEqual((await redisMs()) + 60_000);
    expect(f.breaker.state).toBe('open');
  });

  it('an open state learnt from Redis is not pushed back when the client returns: a close made meanwhile is read', async () => {
    const c = createClient();
    const n = name();
    const key = `${r.prefix}{breaker:${n}}`;
    const settings = {
      name: n,
      resetTimeoutMs: 60_000,
      keyPrefix: r.prefix,
      logger: false as const,
    };
    const a = track(circuitBreaker({ ...settings, redis: r.redis })(async () => 'a'));
    const b = track(circuitBreaker({ ...settings, redis: c })(async () => 'b'));
    const restored: unknown[] = [];
    b.breaker.onRestored((e) => restored.push(e));
    await b.breaker.ready();
    await a.breaker.open();
    await waitFor(() => b.breaker.state === 'open', { timeoutMs: 5_000, what: 'open by pub/sub' });
    await drop(c);
    await b.breaker.refresh(); // the client is down: degraded, nothing read
    expect(b.breaker.degraded).toBe(true);
    // closed meanwhile, without a message b could hear
    await r.admin.hset(
      key,
      'state',
      'closed',
      'openUntil',
      '0',
      'epoch',
      String(Number((await hash(key)).epoch) + 1),
    );
    await reconnect(c);
    await waitFor(() => b.breaker.state === 'closed', {
      timeoutMs: 5_000,
      what: 'b to read the close',
    });
    expect((await hash(key)).state).toBe('closed');
    await expect(b()).resolves.toBe('b');
  });

  it('while its client is down, a probe runs in memory after the reset timeout and its success closes the circuit in memory', async () => {
    const c = createClient();
    let ok = false;
    const f = track(
      circuitBreaker({
        name: name(),
        failureThreshold: 1,
        resetTimeoutMs: 100,
        redis: c,
        keyPrefix: r.prefix,
        logger: false,
      })(async () => {
        if (!ok) throw fail();
        return 'ok';
      }),
    );
    await f.breaker.ready();
    await drop(c);
    const seen: string[] = [];
    f.breaker.onStateChange((e) => seen.push(`${e.from}->${e.to}`));
    await expect(f()).rejects.toMatchObject({ status: 503 });
    await waitFor(() => f.breaker.nextProbeInMs === 0, { timeoutMs: 5_000, what: 'reset timeout' });
    ok = true;
    await expect(f()).resolves.toBe('ok');
    expect(seen).toEqual(['closed->open', 'open->halfOpen', 'halfOpen->closed']);
    expect(f.breaker.failures).toBe(0);
  });

  it('when its subscriber reconnects, the breaker reads the state it missed meanwhile', async () => {
    // unique across runs in one process too (Stryker runs the file again for every mutant): a
    // connection an earlier run left open must not be counted as this test's
    const label = `resil-breaker-sub-${process.pid}-${Date.now()}-${++seq}`;
    const c = createClient({ name: label });
    const n = name();
    const key = `${r.prefix}{breaker:${n}}`;
    const f = track(
      circuitBreaker({
        name: n,
        resetTimeoutMs: 60_000,
        redis: c,
        keyPrefix: r.prefix,
        logger: false,
      })(async () => 'f'),
    );
    await f.breaker.ready();
    // this test's own subscriber connection (the client's duplicate carries its name)
    const list = (await r.admin.client('LIST')) as string;
    const subs = list
      .split('\n')
      .filter((l) => l.includes(` name=${label} `) && /cmd=(subscribe|ssubscribe)/.test(l));
    expect(subs).toHaveLength(1);
    const id = /id=(\d+)/.exec(subs[0] as string)?.[1] as string;
    // opened while the subscriber is away: a message nobody hears, so only a read shows it
    await r.admin.hset(
      key,
      'state',
      'open',
      'failures',
      '0',
      'openUntil',
      String((await redisMs()) + 60_000),
      'epoch',
      '1',
    );
    await r.admin.client('KILL', 'ID', id);
    await waitFor(() => f.breaker.state === 'open', {
      timeoutMs: 10_000,
      what: 'the breaker to read the state after its subscriber reconnected',
    });
    await expect(f()).rejects.toBeInstanceOf(CircuitOpenError);
  });

  it('a breaker given a URL uses its own client: failures reach the hash; after close() a new breaker on the URL may choose other settings and shares the count', async () => {
    const n = name();
    const key = `${r.prefix}{breaker:${n}}`;
    const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const f = circuitBreaker({
      name: n,
      failureThreshold: 2,
      redis: url,
      keyPrefix: r.prefix,
      logger: false,
    })(async () => {
      throw fail();
    });
    await f.breaker.ready();
    expect(f.breaker.storage).toBe('redis');
    await expect(f()).rejects.toThrow();
    expect((await hash(key)).failures).toBe('1');
    await f.breaker.close();
    // a new breaker on the same URL and name may choose other settings and shares the count
    const g = track(
      circuitBreaker({
        name: n,
        failureThreshold: 3,
        redis: url,
        keyPrefix: r.prefix,
        logger: false,
      })(async () => {
        throw fail();
      }),
    );
    await g.breaker.ready();
    await expect(g()).rejects.toThrow();
    expect(await hash(key)).toMatchObject({ state: 'closed', failures: '2' });
  });
});
