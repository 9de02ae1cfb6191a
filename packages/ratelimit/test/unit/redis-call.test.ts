// Issue #23 (test strength): the bounded Redis call and the shared deadline timer (once
// src/redis-call.ts; since #18 @resil/core's BoundedRedis and Deadlines, tested here as the
// limiters use them: these tests could move to core), and the client the limiters lease from a URL.
// What callers rely on: a deadline fires within its resolution and never early, the timer runs only
// while something waits and never keeps the process alive, a call leaves no timer behind, a
// degraded client is asked again only after a second, and a URL to a dead Redis costs a command
// about one reconnect attempt, and its connection errors are handled.
import { Deadlines, sharedClients } from '@resil/core';
import { freePort } from '@resil/testkit';
import type { Redis } from 'ioredis';
import { createRateLimiter } from '../../src';

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

describe("the limiter's bounded Redis calls (fake time)", () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  /** A client of core's RedisLike shape whose script call is `reply`. */
  const client = (status: string, reply: () => Promise<unknown>) => ({
    status,
    evalsha: reply,
    eval: reply,
    on() {},
    off() {},
    quit: () => Promise.resolve('OK'),
    disconnect() {},
  });
  const limiter = (c: ReturnType<typeof client>) =>
    createRateLimiter({
      name: 'fake',
      points: 1_000,
      durationMs: 1_000,
      burst: 1_000,
      redis: c as never,
      commandTimeoutMs: 300,
      logger: false,
    });

  it('a call that answers leaves no timer behind', async () => {
    expect(await limiter(client('ready', () => Promise.resolve(['0', 1]))).tryAcquire()).toBe(true);
    await limiter(client('ready', () => Promise.reject(new Error('x')))).tryAcquire();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('degraded: asked again exactly a second after the latest failure; a client still connecting is not waited for any more', async () => {
    let asked = 0;
    const c = client('ready', () => {
      asked++;
      return Promise.reject(new Error('x'));
    });
    const l = limiter(c);
    const changes: boolean[] = [];
    l.onDegraded(() => changes.push(true));
    l.onRestored(() => changes.push(false));
    await l.tryAcquire();
    expect(changes).toEqual([true]);
    expect(asked).toBe(1);
    await jest.advanceTimersByTimeAsync(999);
    await l.tryAcquire();
    expect(asked).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    await l.tryAcquire(); // asked, fails again: the next second starts now
    expect(asked).toBe(2);
    await jest.advanceTimersByTimeAsync(999);
    await l.tryAcquire();
    expect(asked).toBe(2);
    // reconnecting after a failure: not asked, and each look renews the second
    c.status = 'connecting';
    await jest.advanceTimersByTimeAsync(1);
    await l.tryAcquire();
    expect(asked).toBe(2);
    c.status = 'ready';
    await jest.advanceTimersByTimeAsync(999);
    await l.tryAcquire();
    expect(asked).toBe(2);
    await jest.advanceTimersByTimeAsync(1);
    await l.tryAcquire();
    expect(asked).toBe(3);
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
      commandTimeoutMs: 20_000,
      logger: false,
    });
    try {
      const start = performance.now();
      expect(await l.tryAcquire()).toBe(false);
      // far below commandTimeoutMs, with room for a loaded machine
      expect(performance.now() - start).toBeLessThan(10_000);
      expect(l.degraded).toBe(true);
    } finally {
      await l.close();
    }
  });

  it('the client handles its own error events (ioredis prints every connection error otherwise)', async () => {
    // (ioredis prints only errors of this realm's Error: under Jest, a listener count is what shows)
    const url = `redis://127.0.0.1:${await freePort()}`;
    const l = createRateLimiter({
      name: 'u',
      points: 1,
      durationMs: 1000,
      redis: url,
      logger: false,
    });
    const lease = sharedClients.acquire(url); // the limiter's client: one per URL
    try {
      expect(sharedClients.refs(url)).toBe(2);
      const c = lease.client as unknown as Redis;
      expect(c.listenerCount('error')).toBe(1);
      expect(c.options).toMatchObject({ maxRetriesPerRequest: 1, enableOfflineQueue: true });
    } finally {
      await l.close();
      expect(sharedClients.refs(url)).toBe(1);
      await lease.release();
    }
    expect(sharedClients.refs(url)).toBe(0);
    expect(createRateLimiter({ name: 'm', points: 1, durationMs: 1000 }).storage).toBe('memory');
  });
});
