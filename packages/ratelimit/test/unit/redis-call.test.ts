// Issue #23 (test strength): the bounded Redis call and the shared deadline timer (src/redis-call.ts,
// to move into a shared package with these tests), and the client the limiters make from a URL.
// What callers rely on: a deadline fires within its resolution and never early, the timer runs only
// while something waits and never keeps the process alive, a call leaves no timer behind, a
// degraded client is asked again only after a second, and a URL to a dead Redis costs a command
// about one reconnect attempt, and its connection errors are handled.
import { freePort } from '@resil/testkit';
import type { Redis } from 'ioredis';
import { createRateLimiter } from '../../src';
import { BoundedRedis, clientFor, Deadlines } from '../../src/redis-call';

describe('Deadlines (fake time)', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('fires on the first sweep at or after the deadline: resolution a quarter of the timeout', async () => {
    const d = new Deadlines(100); // sweeps every 25 ms
    const fired: number[] = [];
    d.add(10, () => fired.push(performance.now()));
    d.add(25, () => fired.push(performance.now()));
    d.add(60, () => fired.push(performance.now()));
    await jest.advanceTimersByTimeAsync(24);
    expect(fired).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(fired).toEqual([25, 25]); // a deadline equal to the sweep time fires
    expect(jest.getTimerCount()).toBe(1); // one still waits: the sweep goes on
    await jest.advanceTimersByTimeAsync(50);
    expect(fired).toEqual([25, 25, 75]);
    expect(jest.getTimerCount()).toBe(0); // nothing waits: no timer
    // and it starts again for the next one
    d.add(1, () => fired.push(performance.now()));
    await jest.advanceTimersByTimeAsync(25);
    expect(fired).toEqual([25, 25, 75, 100]);
  });

  it('never sweeps more often than every 5 ms', async () => {
    const d = new Deadlines(8);
    let fired = 0;
    d.add(1, () => fired++);
    await jest.advanceTimersByTimeAsync(4);
    expect(fired).toBe(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(fired).toBe(1);
  });

  it('a settled race cancels its deadline: the timer stops at the next sweep', async () => {
    const d = new Deadlines(100);
    await expect(d.race(Promise.resolve('v'), 10_000)).resolves.toBe('v');
    await expect(d.race(Promise.reject(new Error('e')), 10_000)).rejects.toThrow('e');
    await jest.advanceTimersByTimeAsync(25);
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('Deadlines (real timers)', () => {
  it('its timer does not keep the process alive', () => {
    const spy = jest.spyOn(global, 'setInterval');
    try {
      const d = new Deadlines(100);
      const cancel = d.add(1_000, () => {});
      const timer = spy.mock.results[0]?.value as NodeJS.Timeout;
      expect(timer.hasRef()).toBe(false);
      cancel();
      clearInterval(timer);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('BoundedRedis (fake time)', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  const client = (status: string) => ({ status, defineCommand() {} }) as never;

  it('a call that answers leaves no timer behind', async () => {
    const b = new BoundedRedis(client('ready'), 300, () => {});
    expect(await b.run(() => Promise.resolve(1))).toBe(1);
    expect(await b.run(() => Promise.reject(new Error('x')))).toBeUndefined();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('degraded: asked again exactly a second after the latest failure; a client still connecting is not waited for any more', async () => {
    const c = { status: 'ready', defineCommand() {} };
    const changes: boolean[] = [];
    const b = new BoundedRedis(c as never, 300, (d) => changes.push(d));
    let asked = 0;
    const call = () => {
      asked++;
      return Promise.reject(new Error('x'));
    };
    await b.run(call);
    expect(changes).toEqual([true]);
    await jest.advanceTimersByTimeAsync(999);
    expect(b.usable()).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(b.usable()).toBe(true);
    await b.run(call); // fails again: the next second starts now
    expect(asked).toBe(2);
    await jest.advanceTimersByTimeAsync(999);
    expect(b.usable()).toBe(false);
    // reconnecting after a failure: not usable, and each look renews the second
    c.status = 'connecting';
    await jest.advanceTimersByTimeAsync(1);
    expect(b.usable()).toBe(false);
    c.status = 'ready';
    await jest.advanceTimersByTimeAsync(999);
    expect(b.usable()).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(b.usable()).toBe(true);
    expect(changes).toEqual([true]);
  });
});

describe('a limiter made from a URL to a Redis that is not there', () => {
  it('falls back after about one reconnect attempt (well before commandTimeoutMs)', async () => {
    const port = await freePort();
    const l = createRateLimiter({
      name: 'gone',
      points: 1,
      durationMs: 1000,
      redis: `redis://127.0.0.1:${port}`,
      commandTimeoutMs: 4_000,
      logger: false,
    });
    try {
      const start = performance.now();
      expect(await l.tryAcquire()).toBe(false);
      expect(performance.now() - start).toBeLessThan(3_000);
      expect(l.degraded).toBe(true);
    } finally {
      await l.close();
    }
  });

  it('the client handles its own error events (ioredis prints every connection error otherwise)', async () => {
    // (ioredis prints only errors of this realm's Error: under Jest, a listener count is what shows)
    const c = clientFor(`redis://127.0.0.1:${await freePort()}`) as Redis;
    try {
      expect(c.listenerCount('error')).toBe(1);
      expect(c.options).toMatchObject({ maxRetriesPerRequest: 1, enableOfflineQueue: true });
    } finally {
      c.disconnect();
    }
    expect(clientFor(undefined)).toBeUndefined();
  });
});
