import { Redis } from 'ioredis';
import {
  ClientClosedError,
  ConnectionTimeoutError,
  createClient,
  createCluster,
  ErrorReply,
  SimpleError,
  SocketClosedUnexpectedlyError,
} from 'redis';
import {
  BoundedRedis,
  ClientPool,
  clientStatus,
  defineScript,
  fromNodeRedis,
  isNodeRedisClient,
  isNodeRedisCluster,
  isNodeRedisErrorReply,
  isRedisClient,
  isRedisLike,
  isRedisOutage,
  leaseClient,
  onClientEnd,
  onClientReady,
  quitClient,
  redisCommand,
  subscribeChannel,
  toRedisLike,
} from '../../src/index';
import { FakeNodeCluster } from '../support/node-redis-cluster';
import { FakeNodeSingle as FakeNodeRedis } from '../support/node-redis-single';

describe('node-redis detection', () => {
  it('tells node-redis clients and clusters from ioredis, by shape', () => {
    const io = new Redis({ lazyConnect: true });
    const single = createClient();
    const cluster = createCluster({ rootNodes: [{ url: 'redis://127.0.0.1:1' }] });
    expect(isNodeRedisClient(single)).toBe(true);
    expect(isNodeRedisClient(cluster)).toBe(true);
    expect(isNodeRedisClient(io)).toBe(false); // ioredis has sendCommand too, and a status
    expect(isNodeRedisCluster(cluster)).toBe(true);
    expect(isNodeRedisCluster(single)).toBe(false);
    expect(isRedisLike(single)).toBe(false); // RedisLike promises `status`, `evalsha`
    expect(isRedisLike(io)).toBe(true);
    for (const c of [io, single, cluster]) expect(isRedisClient(c)).toBe(true);
    for (const v of [null, {}, 'redis://x', { sendCommand() {}, isOpen: 'yes', on() {} }])
      expect(isRedisClient(v)).toBe(false);
    io.disconnect();
  });
});

describe('clientStatus', () => {
  it('maps a node-redis client to ioredis statuses', () => {
    const c = new FakeNodeRedis();
    expect(clientStatus(c)).toBe('ready');
    c.isReady = false;
    expect(clientStatus(c)).toBe('reconnecting'); // it was ready once (socketEpoch 1)
    c.socketEpoch = 0;
    expect(clientStatus(c)).toBe('connecting');
    c.isOpen = false;
    expect(clientStatus(c)).toBe('end');
  });
  it('without socketEpoch, a client seen ready once is reconnecting when not ready', () => {
    const c = new FakeNodeRedis() as Omit<FakeNodeRedis, 'socketEpoch'> & { socketEpoch?: number };
    delete c.socketEpoch;
    c.isReady = false;
    expect(clientStatus(c)).toBe('connecting');
    c.isReady = true;
    expect(clientStatus(c)).toBe('ready');
    c.isReady = false;
    expect(clientStatus(c)).toBe('reconnecting');
  });
  it('a node-redis cluster is ready once its slots are known, end once closed', () => {
    const c = new FakeNodeCluster();
    expect(clientStatus(c)).toBe('ready');
    c.masters = [];
    expect(clientStatus(c)).toBe('connecting');
    c.isOpen = false;
    expect(clientStatus(c)).toBe('end');
  });
  it('a node-redis client never connected is end (it would reject every command)', () => {
    expect(clientStatus(createClient())).toBe('end');
  });
});

describe('isRedisOutage with node-redis errors', () => {
  it('an error reply of a working Redis is no outage (node-redis names it Error)', () => {
    const reply = new SimpleError('ERR mine');
    expect(reply.name).toBe('Error');
    expect(isNodeRedisErrorReply(reply)).toBe(true);
    expect(isRedisOutage(reply)).toBe(false);
    expect(isRedisOutage(new ErrorReply('WRONGTYPE Operation against a key'))).toBe(false);
  });
  it('LOADING, BUSY, CLUSTERDOWN replies and connection errors are outages', () => {
    expect(isRedisOutage(new SimpleError('LOADING Redis is loading'))).toBe(true);
    expect(isRedisOutage(new SimpleError('CLUSTERDOWN The cluster is down'))).toBe(true);
    for (const e of [
      new ClientClosedError(),
      new SocketClosedUnexpectedlyError(),
      new ConnectionTimeoutError(),
    ]) {
      expect(isNodeRedisErrorReply(e)).toBe(false);
      expect(isRedisOutage(e)).toBe(true);
    }
  });
});

describe('defineScript on node-redis', () => {
  const lua = "return redis.call('GET', KEYS[1])";
  it('sends EVALSHA by sendCommand, numbers as text; EVAL on NOSCRIPT', async () => {
    const c = new FakeNodeRedis();
    c.reply = async (args) => {
      if (args[0] === 'EVALSHA') throw new SimpleError('NOSCRIPT No matching script.');
      return 'v';
    };
    const s = defineScript(lua, { numberOfKeys: 1 });
    await expect(s.run(c, ['k'], ['a', 2])).resolves.toBe('v');
    expect(c.sent).toEqual([
      ['EVALSHA', s.sha, '1', 'k', 'a', '2'],
      ['EVAL', lua, '1', 'k', 'a', '2'],
    ]);
  });
  it('on a cluster, passes the first key to route the command', async () => {
    const c = new FakeNodeCluster();
    const s = defineScript(lua);
    await s.run(c, ['{t}a', '{t}b'], [3]);
    expect(c.sent).toEqual([['{t}a', false, ['EVALSHA', s.sha, '2', '{t}a', '{t}b', '3']]]);
  });
  it('any other error is rejected as it is, without EVAL', async () => {
    const c = new FakeNodeRedis();
    const boom = new ClientClosedError();
    c.reply = () => Promise.reject(boom);
    await expect(defineScript(lua).run(c, ['k'])).rejects.toBe(boom);
    expect(c.sent).toHaveLength(1);
  });
});

describe('BoundedRedis on node-redis', () => {
  it('fails fast without a command while the client reconnects, and ready cuts the back-off', async () => {
    const c = new FakeNodeRedis();
    const b = new BoundedRedis(c, { timeoutMs: 1000, backoffMs: 60_000 });
    c.isReady = false; // lost after being ready: reconnecting
    await expect(b.run((r) => r.sendCommand(['PING']))).rejects.toMatchObject({
      code: 'RESIL_CORE_REDIS_UNAVAILABLE',
    });
    expect(c.sent).toHaveLength(0);
    c.isReady = true;
    expect(b.usable()).toBe(false); // back-off of 60 s
    c.emit('ready');
    expect(b.usable()).toBe(true);
    await expect(b.run((r) => r.sendCommand(['PING']))).resolves.toBe('OK');
    expect(b.degraded).toBe(false);
    await b.close();
    expect(c.listenerCount('ready')).toBe(0);
  });
  it("listens to a cluster's connect and node-ready events", async () => {
    const c = new FakeNodeCluster();
    const b = new BoundedRedis(c);
    expect(c.listenerCount('connect')).toBe(1);
    expect(c.listenerCount('node-ready')).toBe(1);
    await b.close();
    expect(c.listenerCount('connect') + c.listenerCount('node-ready')).toBe(0);
  });
});

describe('quitClient, ClientPool and leaseClient with node-redis', () => {
  it('quitClient closes a ready client (close) and destroys one that is not', async () => {
    const ready = new FakeNodeRedis();
    await quitClient(ready);
    expect([ready.closes, ready.destroys, ready.isOpen]).toEqual([1, 0, false]);
    const away = new FakeNodeRedis();
    away.isReady = false;
    await quitClient(away);
    expect([away.closes, away.destroys, away.isOpen]).toEqual([0, 1, false]);
    await quitClient(away); // already closed: nothing
    expect(away.destroys).toBe(1);
  });
  it('quitClient destroys a client whose close hangs, after the time limit', async () => {
    const c = new FakeNodeRedis();
    c.close = () => new Promise(() => {});
    await quitClient(c, 20);
    expect(c.destroys).toBe(1);
  });
  it('a pool made with node-redis clients quits them on the last release', async () => {
    const made: FakeNodeRedis[] = [];
    const pool = new ClientPool({
      create: () => made[made.push(new FakeNodeRedis()) - 1] as FakeNodeRedis,
    });
    const a = pool.acquire('redis://h:1');
    const b = pool.acquire('redis://h:1');
    await a.release();
    expect(made[0]?.closes).toBe(0);
    await b.release();
    expect(made[0]?.closes).toBe(1);
  });
  it("leaseClient uses a caller's node-redis client as it is and never quits it", async () => {
    const c = new FakeNodeRedis();
    const lease = leaseClient(c);
    expect(lease.client).toBe(c);
    expect(lease.owned).toBe(false);
    await lease.release();
    expect(c.closes + c.destroys).toBe(0);
  });
});

describe('fromNodeRedis / toRedisLike', () => {
  it('gives an ioredis-shaped RedisLike, the same one for the same client', async () => {
    const c = new FakeNodeRedis();
    const a = fromNodeRedis(c);
    expect(fromNodeRedis(c)).toBe(a);
    expect(toRedisLike(c)).toBe(a);
    expect(isRedisLike(a)).toBe(true);
    expect(a.nodeRedis).toBe(c);
    expect(a.status).toBe('ready');
    await a.evalsha('abc', 1, 'k', 5);
    await a.eval('return 1', 0);
    expect(c.sent).toEqual([
      ['EVALSHA', 'abc', '1', 'k', '5'],
      ['EVAL', 'return 1', '0'],
    ]);
    const seen: string[] = [];
    const l = () => seen.push('ready');
    a.on('ready', l);
    c.emit('ready');
    a.off('ready', l);
    c.emit('ready');
    expect(seen).toEqual(['ready']);
    a.disconnect();
    expect(c.destroys).toBe(1);
    expect(a.status).toBe('end');
  });
  it("maps a cluster's ready and end to connect/node-ready and disconnect, and routes scripts by the first key", async () => {
    const c = new FakeNodeCluster();
    const a = fromNodeRedis(c);
    const l = () => {};
    a.on('ready', l);
    a.on('end', l);
    expect([c.listenerCount('connect'), c.listenerCount('node-ready')]).toEqual([1, 1]);
    expect(c.listenerCount('disconnect')).toBe(1);
    await a.evalsha('abc', 1, '{t}k');
    expect(c.sent).toEqual([['{t}k', false, ['EVALSHA', 'abc', '1', '{t}k']]]);
  });
  it('leaves an ioredis client as it is; refuses what is no node-redis client', () => {
    const io = new Redis({ lazyConnect: true });
    expect(toRedisLike(io)).toBe(io);
    expect(() => fromNodeRedis({} as never)).toThrow(TypeError);
    io.disconnect();
  });
});

describe('redisCommand', () => {
  it('sends by sendCommand on node-redis (a cluster routed by firstKey) and by call on ioredis', async () => {
    const n = new FakeNodeRedis();
    await redisCommand(n, ['WAIT', 1, 100]);
    expect(n.sent).toEqual([['WAIT', '1', '100']]);
    const cl = new FakeNodeCluster();
    await redisCommand(cl, ['GET', '{t}k'], '{t}k');
    expect(cl.sent).toEqual([['{t}k', false, ['GET', '{t}k']]]);
    const io = { status: 'ready', call: jest.fn(async () => 'PONG') };
    await expect(redisCommand(io as never, ['PING'])).resolves.toBe('PONG');
    expect(io.call).toHaveBeenCalledWith('PING');
  });
});

describe('onClientReady / onClientEnd', () => {
  it('listen to ready/end on a single client, connect+node-ready/disconnect on a node-redis cluster', () => {
    const seen: string[] = [];
    const single = new FakeNodeRedis();
    const cluster = new FakeNodeCluster();
    const offs = [single, cluster].flatMap((c) => [
      onClientReady(c, () => seen.push('ready')),
      onClientEnd(c, () => seen.push('end')),
    ]);
    single.emit('ready');
    single.emit('end');
    cluster.emit('connect');
    cluster.emit('node-ready');
    cluster.emit('disconnect');
    cluster.emit('end'); // not a cluster's event
    expect(seen).toEqual(['ready', 'end', 'ready', 'ready', 'end']);
    for (const off of offs) off();
    single.emit('ready');
    cluster.emit('disconnect');
    expect(seen).toHaveLength(5);
  });
});

describe('subscribeChannel', () => {
  it('names the bad argument, never its value', () => {
    const c = new FakeNodeRedis();
    expect(() => subscribeChannel(c, '', () => {})).toThrow(
      'ChannelSubscription: channel must be a non-empty string',
    );
    expect(() => subscribeChannel(c, 'ch', 'x' as never)).toThrow(
      'ChannelSubscription: onMessage must be a function',
    );
    expect(() => subscribeChannel(c, 'ch', () => {})).toThrow(
      'ChannelSubscription: client must have duplicate()',
    );
  });
  it("a throwing handler does not stop later messages (node-redis's listener)", async () => {
    let listener: (m: unknown) => void = () => {};
    const dup = Object.assign(new FakeNodeRedis(), {
      connect: async () => {},
      subscribe: async (_ch: string, l: (m: unknown) => void) => {
        listener = l;
      },
    });
    const c = Object.assign(new FakeNodeRedis(), { duplicate: () => dup });
    const got: string[] = [];
    const sub = subscribeChannel(c, 'ch', (m) => {
      got.push(m);
      if (m === 'boom') throw new Error('handler');
    });
    await sub.subscribed;
    expect(sub.listening).toBe(true);
    expect(() => listener('boom')).not.toThrow();
    listener('next');
    expect(got).toEqual(['boom', 'next']);
    await sub.close();
    listener('late');
    expect(got).toEqual(['boom', 'next']);
    expect(dup.closes).toBe(1);
  });
});
