// Issue #19: the cluster-wide bulkhead on a real Redis (the client kind RESIL_REDIS_CLIENT names):
// one limit for every instance sharing a name, the key layout, leases that expire and are renewed.
import { type CallContext, callContext } from '@resil/core';
import { useRedis, waitFor } from '@resil/testkit';
import { type Bulkhead, BulkheadFullError, bulkhead } from '../../src';

const r = useRedis('bulkhead-shared');
let seq = 0;
const tick = () => new Promise<void>((res) => setImmediate(res));

/** A function whose calls the test finishes by hand. */
function held() {
  const pending: Array<(v: string) => void> = [];
  const fn = (_ctx?: CallContext) =>
    new Promise<string>((resolve) => {
      pending.push(resolve);
    });
  return { fn, pending };
}

const redisNow = async () => {
  const [s, us] = await r.admin.time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
};

describe('bulkhead with Redis', () => {
  const made: Bulkhead[] = [];
  const make = (
    opts: Partial<Parameters<typeof bulkhead>[0]> & { name: string; limit: number },
  ) => {
    const b = bulkhead({ redis: r.redis, keyPrefix: r.prefix, logger: false, ...opts });
    made.push(b);
    return b;
  };
  afterAll(async () => {
    await Promise.all(made.map((b) => b.close()));
  });

  it('two instances (as two workers) share one limit; the key is a sorted set of leases with a TTL', async () => {
    const name = `s${++seq}`;
    const a = make({ name, limit: 2, leaseMs: 10_000 });
    const b = make({ name, limit: 2, leaseMs: 10_000 });
    expect(a.storage).toBe('redis');
    const h = held();
    // Bounds from Redis's clock before the calls and after the reads, so a stalled (loaded)
    // machine cannot fail the test: every lease ends leaseMs after a moment between the two.
    const before = await redisNow();
    const p1 = a(h.fn)();
    const p2 = b(h.fn)();
    await waitFor(() => h.pending.length === 2, { what: 'two calls running' });
    const third = await a(h.fn)().catch((e: unknown) => e);
    expect(third).toBeInstanceOf(BulkheadFullError);
    const fourth = await b(h.fn)().catch((e: unknown) => e);
    expect(fourth).toBeInstanceOf(BulkheadFullError);
    const key = `${r.prefix}{bulkhead:${name}}:leases`;
    const leases = await r.admin.zrange(key, 0, -1, 'WITHSCORES');
    expect(leases).toHaveLength(4);
    const expiresAt = Number(await r.admin.call('PEXPIRETIME', key));
    const after = await redisNow();
    for (const score of [leases[1], leases[3]]) {
      expect(Number(score)).toBeGreaterThanOrEqual(before + 10_000);
      expect(Number(score)).toBeLessThanOrEqual(after + 10_000);
    }
    expect(leases[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 10_000);
    expect(expiresAt).toBeLessThanOrEqual(after + 10_000);
    for (const resolve of h.pending) resolve('ok');
    await expect(Promise.all([p1, p2])).resolves.toEqual(['ok', 'ok']);
    await waitFor(async () => (await r.admin.zcard(key)) === 0, { what: 'leases released' });
    expect(a.inFlight + b.inFlight).toBe(0);
  });

  it('a queued caller gets a slot another instance frees (it asks Redis again every pollMs)', async () => {
    const name = `s${++seq}`;
    const a = make({ name, limit: 1, leaseMs: 10_000 });
    const b = make({ name, limit: 1, queue: 1, leaseMs: 10_000, pollMs: 10 });
    const h = held();
    const first = a(h.fn)();
    await waitFor(() => h.pending.length === 1);
    const second = b(h.fn)();
    await waitFor(() => b.queued === 1);
    expect(h.pending).toHaveLength(1);
    h.pending[0]?.('one');
    await first;
    await waitFor(() => h.pending.length === 2, { what: 'the queued caller ran' });
    h.pending[1]?.('two');
    await expect(second).resolves.toBe('two');
  });

  it("a dead worker's lease (never released, never renewed) blocks its slot until it expires, then the slot comes back", async () => {
    const name = `s${++seq}`;
    const key = `${r.prefix}{bulkhead:${name}}:leases`;
    // Each attempt is placed on Redis's clock (read before and after it), so a stall of this
    // machine cannot make the lease look longer or shorter than it is: an attempt that ended
    // before the lease's expiry must be refused, and one eventually runs once it has passed.
    await r.admin.zadd(key, (await redisNow()) + 60_000, 'dead-worker-token');
    const b = make({ name, limit: 1, leaseMs: 10_000 });
    const fn = async (_c?: CallContext) => 'ran';
    const before = await b(fn)().catch((e: unknown) => e);
    expect(before).toBeInstanceOf(BulkheadFullError);
    // the dead lease's expiry brought near (rather than waiting a minute)
    const expiry = (await redisNow()) + 300;
    await r.admin.zadd(key, 'XX', expiry, 'dead-worker-token');
    const attempts: Array<{ endedAt: number; result: unknown }> = [];
    await waitFor(
      async () => {
        const result = await b(fn)().catch((e: unknown) => e);
        attempts.push({ endedAt: await redisNow(), result });
        return result === 'ran';
      },
      { what: 'the slot back after the lease', timeoutMs: 10_000 },
    );
    for (const a of attempts.filter((x) => x.endedAt < expiry))
      expect(a.result).toBeInstanceOf(BulkheadFullError);
    expect(await r.admin.zscore(key, 'dead-worker-token')).toBeNull();
  });

  it('a running call renews its lease: it outlives leaseMs and still holds the slot', async () => {
    const name = `s${++seq}`;
    const key = `${r.prefix}{bulkhead:${name}}:leases`;
    // renewed every 1 s; a slow answer on a loaded machine must not count as an outage (a
    // degraded caller skips renewals for its 1 s back-off)
    const opts = { name, limit: 1, leaseMs: 3_000, commandTimeoutMs: 5_000 };
    const a = make(opts);
    const other = make(opts);
    const h = held();
    const call = a(h.fn)();
    await waitFor(() => h.pending.length === 1);
    const [token, first] = await r.admin.zrange(key, 0, -1, 'WITHSCORES');
    // wait until Redis's clock is past the first expiry: only renewals keep the lease
    await waitFor(async () => (await redisNow()) > Number(first) + 200, {
      what: 'past the first lease',
    });
    expect(await r.admin.zscore(key, token as string)).not.toBeNull();
    await expect(other(async (_c?: CallContext) => 1)()).rejects.toBeInstanceOf(BulkheadFullError);
    h.pending[0]?.('done');
    await expect(call).resolves.toBe('done');
    await expect(other(async (_c?: CallContext) => 1)()).resolves.toBe(1);
  });

  it('a queued caller that aborts leaves the queue and never takes a slot', async () => {
    const name = `s${++seq}`;
    const key = `${r.prefix}{bulkhead:${name}}:leases`;
    const a = make({ name, limit: 1, queue: 2, leaseMs: 10_000, pollMs: 5 });
    const h = held();
    const first = a(h.fn)();
    await waitFor(() => h.pending.length === 1);
    const ac = new AbortController();
    const second = a(h.fn)(callContext({ signal: ac.signal })).catch((e: unknown) => e);
    await waitFor(() => a.queued === 1);
    ac.abort(new Error('left'));
    expect(await second).toMatchObject({ message: 'left' });
    expect(a.queued).toBe(0);
    h.pending[0]?.('x');
    await first;
    await tick();
    expect(h.pending).toHaveLength(1);
    await waitFor(async () => (await r.admin.zcard(key)) === 0, { what: 'no lease left' });
  });

  it('close() gives the leases of running calls back', async () => {
    const name = `s${++seq}`;
    const key = `${r.prefix}{bulkhead:${name}}:leases`;
    const a = bulkhead({ name, limit: 2, redis: r.redis, keyPrefix: r.prefix, logger: false });
    const h = held();
    void a(h.fn)();
    await waitFor(() => h.pending.length === 1);
    expect(await r.admin.zcard(key)).toBe(1);
    await a.close();
    expect(await r.admin.zcard(key)).toBe(0);
    h.pending[0]?.('late');
  });
});
