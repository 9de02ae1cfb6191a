import { EventEmitter as NodeEmitter } from 'node:events';
import { ClientPool, isRedisLike, leaseClient, quitClient } from '../../src/index';

class FakeRedis extends NodeEmitter {
  status = 'ready';
  quits = 0;
  disconnects = 0;
  hangQuit = false;
  async evalsha() {}
  async eval() {}
  quit() {
    this.quits++;
    if (this.hangQuit) return new Promise(() => {});
    this.status = 'end';
    return Promise.resolve('OK');
  }
  disconnect() {
    this.disconnects++;
    this.status = 'end';
  }
}

describe('ClientPool', () => {
  it('shares one client per URL and quits it on the last release', async () => {
    const made: FakeRedis[] = [];
    const pool = new ClientPool({
      create: () => made[made.push(new FakeRedis()) - 1] as FakeRedis,
    });
    const a = pool.acquire('redis://h:1');
    const b = pool.acquire('redis://h:1');
    const c = pool.acquire('redis://h:2');
    expect(made).toHaveLength(2);
    expect(a.client).toBe(b.client);
    expect(a.owned).toBe(true);
    expect(pool.refs('redis://h:1')).toBe(2);
    await a.release();
    await a.release(); // a second release of one lease counts once
    expect(pool.refs('redis://h:1')).toBe(1);
    expect(made[0]?.quits).toBe(0);
    await b.close();
    expect(made[0]?.quits).toBe(1);
    expect(pool.refs('redis://h:1')).toBe(0);
    expect(pool.size).toBe(1);
    await c[Symbol.asyncDispose]();
    expect(pool.size).toBe(0);
  });
  it('makes a new client after the last one was released', async () => {
    let n = 0;
    const pool = new ClientPool({
      create: () => {
        n++;
        return new FakeRedis();
      },
    });
    await pool.acquire('redis://h:1').release();
    pool.acquire('redis://h:1');
    expect(n).toBe(2);
  });
  it('await using releases the lease', async () => {
    const client = new FakeRedis();
    const pool = new ClientPool({ create: () => client });
    {
      await using lease = pool.acquire('redis://h:1');
      expect(lease.client).toBe(client);
    }
    expect(client.quits).toBe(1);
  });
  it('refuses an empty URL', () => {
    expect(() => new ClientPool().acquire('')).toThrow(TypeError);
  });
  it('makes an ioredis client from a URL by default (lazily, no command sent)', async () => {
    const pool = new ClientPool();
    const lease = pool.acquire('redis://127.0.0.1:1/?lazyConnect=true');
    expect(isRedisLike(lease.client)).toBe(true);
    await lease.release();
    expect(lease.client.status).toBe('end');
  });
});

describe('quitClient', () => {
  it('drops a connection whose QUIT does not answer in time', async () => {
    const c = new FakeRedis();
    c.hangQuit = true;
    await quitClient(c, 20);
    expect(c.quits).toBe(1);
    expect(c.disconnects).toBe(1);
  });
  it('only disconnects a client that is not connected', async () => {
    const c = new FakeRedis();
    c.status = 'reconnecting';
    await quitClient(c);
    expect(c.quits).toBe(0);
    expect(c.disconnects).toBe(1);
  });
});

describe('leaseClient', () => {
  it("uses the caller's client as it is and never quits it", async () => {
    const mine = new FakeRedis();
    const lease = leaseClient(mine);
    expect(lease.client).toBe(mine);
    expect(lease.owned).toBe(false);
    await lease.release();
    expect(mine.quits + mine.disconnects).toBe(0);
  });
  it('leases a URL from the given pool', async () => {
    const client = new FakeRedis();
    const pool = new ClientPool({ create: () => client });
    const lease = leaseClient('redis://h:1', pool);
    expect(lease.client).toBe(client);
    await lease.release();
    expect(client.quits).toBe(1);
  });
});

describe('isRedisLike', () => {
  it('recognises a client by shape', () => {
    expect(isRedisLike(new FakeRedis())).toBe(true);
    expect(isRedisLike({ status: 'ready' })).toBe(false);
    expect(isRedisLike(null)).toBe(false);
  });
});
