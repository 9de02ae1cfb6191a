// Issue #19: the per-process bulkhead: at most `limit` in flight, `queue` waiting, the rest
// rejected with RESIL_BULKHEAD_FULL; slots freed on throw, abort and timeout; queued callers leave
// on abort.
import { type CallContext, callContext, compose, hasErrorCode, isCallContext } from '@resil/core';
import { timeout } from '@resil/retry';
import { BULKHEAD_ERROR_CODES, BulkheadFullError, bulkhead } from '../../src';

/** A call the test finishes by hand. */
function gate() {
  const calls: Array<{
    resolve: (v: string) => void;
    reject: (e: unknown) => void;
    ctx: CallContext;
  }> = [];
  let running = 0;
  let peak = 0;
  const fn = (_id: number, ctx?: CallContext) =>
    new Promise<string>((resolve, reject) => {
      running++;
      peak = Math.max(peak, running);
      const done = () => {
        running--;
      };
      calls.push({
        resolve: (v) => {
          done();
          resolve(v);
        },
        reject: (e) => {
          done();
          reject(e);
        },
        ctx: ctx as CallContext,
      });
    });
  return { fn, calls, peak: () => peak };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('bulkhead (per process)', () => {
  it('runs `limit` at once, queues `queue`, rejects the next with RESIL_BULKHEAD_FULL at once', async () => {
    const g = gate();
    const bh = bulkhead({ name: 'm1', limit: 2, queue: 1, logger: false });
    const rejected: unknown[] = [];
    bh.onRejected((n) => rejected.push(n));
    const call = bh(g.fn);
    const a = call(1);
    const b = call(2);
    const c = call(3); // queued
    await tick();
    const d = await call(4).catch((e: unknown) => e);
    expect(d).toBeInstanceOf(BulkheadFullError);
    expect(hasErrorCode(d, 'RESIL_BULKHEAD_FULL')).toBe(true);
    expect(BULKHEAD_ERROR_CODES.FULL).toBe('RESIL_BULKHEAD_FULL');
    expect(rejected).toEqual([{ name: 'm1', reason: 'full' }]);
    expect(g.calls).toHaveLength(2);
    expect(bh.inFlight).toBe(2);
    expect(bh.queued).toBe(1);
    g.calls[0]?.resolve('a');
    await expect(a).resolves.toBe('a');
    await tick();
    expect(g.calls).toHaveLength(3); // the queued one got the freed slot
    g.calls[1]?.resolve('b');
    g.calls[2]?.resolve('c');
    await expect(Promise.all([b, c])).resolves.toEqual(['b', 'c']);
    expect(g.peak()).toBe(2);
    expect(bh.inFlight).toBe(0);
    await bh.close();
  });

  it('never more than `limit` in flight under a storm of 200 calls with random outcomes', async () => {
    const bh = bulkhead({ name: 'm2', limit: 3, queue: 50, logger: false });
    let running = 0;
    let peak = 0;
    const call = bh(async (i: number, _ctx?: CallContext) => {
      running++;
      peak = Math.max(peak, running);
      for (let k = 0; k < (i % 5) + 1; k++) await tick();
      running--;
      if (i % 3 === 0) throw new Error('odd');
      return i;
    });
    const outcomes = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => call(i)));
    expect(peak).toBe(3);
    const full = outcomes.filter(
      (o) => o.status === 'rejected' && hasErrorCode(o.reason, 'RESIL_BULKHEAD_FULL'),
    ).length;
    expect(full).toBe(200 - 53); // 3 running + 50 queued were admitted, the rest refused at once
    expect(bh.inFlight).toBe(0);
    await bh.close();
  });

  it('a throw frees the slot', async () => {
    const bh = bulkhead({ name: 'm3', limit: 1, logger: false });
    const boom = new Error('boom');
    const call = bh(async (_c?: CallContext) => {
      throw boom;
    });
    await expect(call()).rejects.toBe(boom);
    await expect(call()).rejects.toBe(boom); // not RESIL_BULKHEAD_FULL
    expect(bh.inFlight).toBe(0);
  });

  it("the caller's abort while running settles the call, aborts the function's signal and frees the slot", async () => {
    const g = gate();
    const bh = bulkhead({ name: 'm4', limit: 1, logger: false });
    const call = bh(g.fn);
    const ac = new AbortController();
    const a = call(1, callContext({ signal: ac.signal })).catch((e: unknown) => e);
    await tick();
    const ctx = g.calls[0]?.ctx as CallContext;
    expect(isCallContext(ctx)).toBe(true);
    const reason = new Error('gone');
    ac.abort(reason);
    expect(await a).toBe(reason);
    expect(ctx.signal.aborted).toBe(true);
    expect(bh.inFlight).toBe(0);
    const b = call(2);
    await tick();
    g.calls[1]?.resolve('b');
    await expect(b).resolves.toBe('b');
  });

  it('a queued caller whose signal aborts leaves the queue (its place goes to the next one)', async () => {
    const g = gate();
    const bh = bulkhead({ name: 'm5', limit: 1, queue: 1, logger: false });
    const call = bh(g.fn);
    const a = call(1);
    const ac = new AbortController();
    const b = call(2, callContext({ signal: ac.signal })).catch((e: unknown) => e);
    await tick();
    expect(bh.queued).toBe(1);
    ac.abort(new Error('left'));
    expect(await b).toMatchObject({ message: 'left' });
    expect(bh.queued).toBe(0);
    const c = call(3); // the queue has room again
    await tick();
    g.calls[0]?.resolve('a');
    await a;
    await tick();
    expect(g.calls).toHaveLength(2); // b never ran; c did
    g.calls[1]?.resolve('c');
    await expect(c).resolves.toBe('c');
  });

  it('an aborted signal: never runs, takes no slot', async () => {
    const bh = bulkhead({ name: 'm6', limit: 1, logger: false });
    const fn = jest.fn(async (_c?: CallContext) => 1);
    const reason = new Error('pre');
    await expect(bh(fn)(callContext({ signal: AbortSignal.abort(reason) }))).rejects.toBe(reason);
    expect(fn).not.toHaveBeenCalled();
    expect(bh.inFlight).toBe(0);
  });

  it('a timeout inside the bulkhead frees the slot even when the function ignores its signal', async () => {
    const bh = bulkhead({ name: 'm7', limit: 1, logger: false });
    type Fn = (ctx?: CallContext) => Promise<string>;
    const hang: Fn = () => new Promise<never>(() => {});
    const call = compose<Fn>(bh, timeout(20))(hang);
    await expect(call()).rejects.toMatchObject({ code: 'RESIL_RETRY_TIMEOUT' });
    expect(bh.inFlight).toBe(0);
    await expect(call()).rejects.toMatchObject({ code: 'RESIL_RETRY_TIMEOUT' });
  });

  it('passes the caller context on: one context, last, with its deadline and attempt', async () => {
    const bh = bulkhead({ name: 'm8', limit: 1, logger: false });
    let seen: unknown[] = [];
    const call = bh(async (...args: unknown[]) => {
      seen = args;
      return 1;
    });
    const deadline = Date.now() + 10_000;
    await call('x', callContext({ deadline }));
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBe('x');
    expect((seen[1] as CallContext).deadline).toBe(deadline);
    await call('y');
    expect(isCallContext(seen[1])).toBe(true);
  });

  it('close() rejects queued callers (RESIL_BULKHEAD_CLOSED) and new calls; running ones finish', async () => {
    const g = gate();
    const bh = bulkhead({ name: 'm9', limit: 1, queue: 2, logger: false });
    const call = bh(g.fn);
    const a = call(1);
    const b = call(2).catch((e: unknown) => e);
    await tick();
    await bh.close();
    expect(await b).toMatchObject({ code: 'RESIL_BULKHEAD_CLOSED' });
    await expect(call(3)).rejects.toMatchObject({ code: 'RESIL_BULKHEAD_CLOSED' });
    g.calls[0]?.resolve('a');
    await expect(a).resolves.toBe('a');
  });

  it('validates its options, naming the option', () => {
    expect(() => bulkhead(undefined as never)).toThrow(TypeError);
    expect(() => bulkhead({ limit: 1 } as never)).toThrow(/name/);
    expect(() => bulkhead({ name: 'x' } as never)).toThrow(/limit/);
    expect(() => bulkhead({ name: 'x', limit: 0 })).toThrow(RangeError);
    expect(() => bulkhead({ name: 'x', limit: 1.5 })).toThrow(/limit/);
    expect(() => bulkhead({ name: 'x', limit: 1, queue: -1 })).toThrow(/queue/);
    expect(() => bulkhead({ name: 'x{y}', limit: 1 })).toThrow(/name/);
    expect(() => bulkhead({ name: 'x', limit: 1, keyPrefix: 'a{' })).toThrow(/keyPrefix/);
    expect(() => bulkhead({ name: 'x', limit: 1, redis: 5 as never })).toThrow(/redis/);
    expect(() => bulkhead({ name: 'x', limit: 1, nope: 1 } as never)).toThrow(/nope/);
    expect(() => bulkhead({ name: 'x', limit: 1 })(3 as never)).toThrow(TypeError);
  });

  it('execute() runs a function in a slot with a context', async () => {
    const bh = bulkhead({ name: 'm10', limit: 1, logger: false });
    await expect(bh.execute(async (ctx) => ctx.attempt)).resolves.toBe(1);
    expect(bh.storage).toBe('memory');
    expect(bh.degraded).toBe(false);
    expect(bh.limit).toBe(1);
  });
});
