// The one lifecycle (issue #18): close() releases what a breaker holds, async and idempotent, also
// as Symbol.asyncDispose and on the wrapped function; forceClose() is the operator's state change
// and releases nothing; the outcome events return core Disposables and close() drops the
// listeners subscribed through the breaker. Memory mode (the Redis side: link.redis.test.ts).
import { circuitBreaker } from '../../src';

let seq = 0;
const uniqueName = () => `lifecycle.${process.pid}.${++seq}`;
const fail = (status = 503) => Object.assign(new Error(`HTTP ${status}`), { status });

describe('Breaker lifecycle', () => {
  it('close() is async and idempotent (one release: the other breaker keeps the circuit); shutdown() is gone', async () => {
    const name = uniqueName();
    const a = circuitBreaker({ name, failureThreshold: 2, logger: false })(async () => 1);
    const b = circuitBreaker({ name, failureThreshold: 2, logger: false })(async () => 1);
    const first = a.breaker.close();
    expect(first).toBeInstanceOf(Promise);
    expect(a.breaker.close()).toBe(first);
    await first;
    expect(a.breaker.closed).toBe(true);
    expect('shutdown' in a.breaker).toBe(false);
    // b still holds the circuit: another failureThreshold is refused
    expect(() => circuitBreaker({ name, failureThreshold: 3, logger: false })).toThrow(
      expect.objectContaining({ code: 'RESIL_BREAKER_CONFLICT' }),
    );
    await b.breaker[Symbol.asyncDispose]();
    expect(b.breaker.closed).toBe(true);
    // both released: a new breaker of that name may choose again
    const c = circuitBreaker({ name, failureThreshold: 3, logger: false })(async () => 1);
    expect(c.breaker.failureThreshold).toBe(3);
    await c.breaker.close();
  });

  it('the wrapped function carries close() and Symbol.asyncDispose, which close its breaker', async () => {
    const name = uniqueName();
    const f = circuitBreaker({ name, failureThreshold: 2, logger: false })(async () => 1);
    expect(typeof f.close).toBe('function');
    await f[Symbol.asyncDispose]();
    expect(f.breaker.closed).toBe(true);
    await f.close();
    const g = circuitBreaker({ name, failureThreshold: 4, logger: false })(async () => 1);
    expect(g.breaker.failureThreshold).toBe(4);
    await g.close();
  });

  it('forceClose() closes the circuit and releases nothing', async () => {
    const name = uniqueName();
    const f = circuitBreaker({ name, failureThreshold: 1, logger: false })(async () => {
      throw fail();
    });
    await expect(f()).rejects.toMatchObject({ status: 503 });
    expect(f.breaker.state).toBe('open');
    await f.breaker.forceClose();
    expect(f.breaker.state).toBe('closed');
    expect(f.breaker.closed).toBe(false);
    expect(() => circuitBreaker({ name, failureThreshold: 2, logger: false })).toThrow(
      expect.objectContaining({ code: 'RESIL_BREAKER_CONFLICT' }),
    );
    await f.close();
  });
});

describe('Breaker events', () => {
  it('each onX returns a Disposable (dispose() and Symbol.dispose unsubscribe); onRejected carries the code', async () => {
    const name = uniqueName();
    const f = circuitBreaker({ name, failureThreshold: 1, resetTimeoutMs: 60_000, logger: false })(
      async () => {
        throw fail();
      },
    );
    const seen: unknown[] = [];
    const rejected = f.breaker.onRejected((e) => seen.push(['rejected', { ...e }]));
    const changes = f.breaker.onStateChange((e) => seen.push(['state', { ...e }]));
    for (const d of [rejected, changes]) {
      expect(typeof d.dispose).toBe('function');
      expect(typeof d[Symbol.dispose]).toBe('function');
    }
    await expect(f()).rejects.toMatchObject({ status: 503 });
    await expect(f()).rejects.toMatchObject({ code: 'RESIL_BREAKER_OPEN' });
    expect(seen).toEqual([
      ['state', { name, from: 'closed', to: 'open' }],
      ['rejected', { name, code: 'RESIL_BREAKER_OPEN', retryAfterMs: expect.any(Number) }],
    ]);
    rejected.dispose();
    changes[Symbol.dispose]();
    await expect(f()).rejects.toMatchObject({ code: 'RESIL_BREAKER_OPEN' });
    await f.breaker.forceClose();
    expect(seen).toHaveLength(2);
    await f.close();
  });

  it('close() drops the listeners subscribed through that breaker, not those of another breaker on the circuit; subscribing after close() is a no-op', async () => {
    const name = uniqueName();
    const settings = { name, failureThreshold: 1, logger: false as const };
    const a = circuitBreaker(settings)(async () => 1);
    const b = circuitBreaker(settings)(async () => {
      throw fail();
    });
    const heardByA: string[] = [];
    const heardByB: string[] = [];
    a.breaker.onStateChange((e) => heardByA.push(e.to));
    b.breaker.onStateChange((e) => heardByB.push(e.to));
    await a.close();
    const late = a.breaker.onStateChange((e) => heardByA.push(e.to));
    late.dispose();
    await expect(b()).rejects.toMatchObject({ status: 503 });
    expect(b.breaker.state).toBe('open');
    expect(heardByB).toEqual(['open']);
    expect(heardByA).toEqual([]);
    await b.close();
  });

  it('a throwing outcome listener changes nothing', async () => {
    const f = circuitBreaker({ name: uniqueName(), failureThreshold: 1, logger: false })(
      async (ok: boolean) => {
        if (!ok) throw fail();
        return 'ok';
      },
    );
    const boom = () => {
      throw new Error('listener');
    };
    f.breaker.onSuccess(boom);
    f.breaker.onFailure(boom);
    f.breaker.onRejected(boom);
    await expect(f(true)).resolves.toBe('ok');
    await expect(f(false)).rejects.toMatchObject({ status: 503 });
    await expect(f(true)).rejects.toMatchObject({ code: 'RESIL_BREAKER_OPEN' });
    await f.close();
  });
});
