import { EventEmitter as NodeEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { ClientPool, clientStatus, nodeRedisClients, quitClient } from '../../src/index';

// ClientPool's defaults, nodeRedisClients and quitClient on ioredis-shaped clients: written for
// survivors of the Redis-backed mutation run (issue #23).

class FakeRedis extends NodeEmitter {
  status = 'ready';
  calls: string[] = [];
  hangQuit = false;
  /** disconnect() ends the client later, by an `end` event (as ioredis does once the socket closes). */
  endLater = false;
  async evalsha() {}
  async eval() {}
  quit() {
    this.calls.push('quit');
    if (this.hangQuit) return new Promise(() => {});
    this.status = 'end';
    return Promise.resolve('OK');
  }
  disconnect() {
    this.calls.push('disconnect');
    if (this.endLater) return;
    this.status = 'end';
  }
}

async function isSettled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => {
    done = true;
  });
  await new Promise((r) => setImmediate(r));
  return done;
}

describe('quitClient on an ioredis-shaped client', () => {
  it('does nothing to a client that has ended', async () => {
    const c = new FakeRedis();
    c.status = 'end';
    await quitClient(c);
    expect(c.calls).toEqual([]);
    expect(c.listenerCount('end')).toBe(0);
  });
  it('after disconnect, waits for its end event (bounded), then removes its listener', async () => {
    const c = new FakeRedis();
    c.status = 'reconnecting';
    c.endLater = true;
    const q = quitClient(c, 60_000);
    expect(await isSettled(q)).toBe(false);
    expect(c.calls).toEqual(['disconnect']);
    c.status = 'end';
    c.emit('end');
    await q;
    expect(c.listenerCount('end')).toBe(0);
  });
  it('a client that ends on disconnect is not waited for', async () => {
    const c = new FakeRedis();
    c.status = 'reconnecting';
    expect(await isSettled(quitClient(c, 60_000))).toBe(true);
    expect(c.calls).toEqual(['disconnect']);
  });
  it('a QUIT that ends the client needs no disconnect', async () => {
    const c = new FakeRedis();
    await quitClient(c);
    expect(c.calls).toEqual(['quit']);
  });
});

describe('ClientPool options', () => {
  afterEach(() => {
    jest.useRealTimers();
  });
  it('waits quitTimeoutMs for QUIT on the last release (default 1000 ms)', async () => {
    jest.useFakeTimers();
    for (const [options, ms] of [
      [{}, 1000],
      [{ quitTimeoutMs: 50 }, 50],
    ] as const) {
      const client = new FakeRedis();
      client.hangQuit = true;
      const pool = new ClientPool({ create: () => client, ...options });
      const released = pool.acquire('redis://h:1').release();
      await jest.advanceTimersByTimeAsync(ms - 1);
      expect(client.calls).toEqual(['quit']);
      await jest.advanceTimersByTimeAsync(1);
      expect(client.calls).toEqual(['quit', 'disconnect']);
      await released;
    }
  });
  it("the default ioredis client: one retry per request, offline queue on, an 'error' listener", async () => {
    const lease = new ClientPool().acquire('redis://127.0.0.1:1/?lazyConnect=true');
    const c = lease.client as unknown as Redis;
    expect(c.options.maxRetriesPerRequest).toBe(1);
    expect(c.options.enableOfflineQueue).toBe(true);
    expect(c.listenerCount('error')).toBeGreaterThanOrEqual(1);
    expect(() => c.emit('error', new Error('connect ECONNREFUSED'))).not.toThrow();
    await lease.release();
  });
  it('refuses what is no non-empty string as a URL', () => {
    const pool = new ClientPool({ create: () => new FakeRedis() });
    for (const bad of ['', undefined, 6379])
      expect(() => pool.acquire(bad as never)).toThrow(
        'ClientPool.acquire: url must be a non-empty string',
      );
    expect(pool.size).toBe(0);
  });
});

describe('nodeRedisClients', () => {
  it('creates a node-redis client with the URL over the extra options, connecting, with an error listener', async () => {
    const create = nodeRedisClients({
      clientOptions: { RESP: 3, url: 'redis://ignored:1', socket: { reconnectStrategy: false } },
    });
    const c = create('redis://127.0.0.1:1') as ReturnType<typeof create> & {
      options?: { url?: string; RESP?: number };
      listenerCount(e: string): number;
    };
    try {
      expect(c.options?.url).toBe('redis://127.0.0.1:1');
      expect(c.options?.RESP).toBe(3);
      expect(c.isOpen).toBe(true); // connect() started
      expect(clientStatus(c)).toBe('connecting');
      expect(c.listenerCount('error')).toBeGreaterThanOrEqual(1);
    } finally {
      await quitClient(c, 2000);
    }
    expect(c.isOpen).toBe(false);
  });
  it('without options: the URL only', async () => {
    const c = nodeRedisClients()('redis://127.0.0.1:1') as ReturnType<
      ReturnType<typeof nodeRedisClients>
    > & { options?: { url?: string; RESP?: number } };
    try {
      expect(c.options?.url).toBe('redis://127.0.0.1:1');
      expect(c.options?.RESP).toBeUndefined();
    } finally {
      await quitClient(c, 2000);
    }
  });
});

describe('without the optional client packages', () => {
  const optional = '../../src/internal/optional';
  afterEach(() => {
    jest.dontMock(optional);
  });
  it('a URL without ioredis, or nodeRedisClients without redis, is a TypeError naming the package', () => {
    jest.isolateModules(() => {
      jest.doMock(optional, () => ({ optionalRequire: () => undefined }));
      const m = require('../../src/redis/clients') as typeof import('../../src/redis/clients');
      expect(() => new m.ClientPool().acquire('redis://h:1')).toThrow(
        'redis: a URL needs the ioredis package (npm install ioredis), or pass a client',
      );
      expect(() => m.nodeRedisClients()('redis://h:1')).toThrow(
        'nodeRedisClients: the redis package is not installed (npm install redis), or pass a client',
      );
    });
  });
});
