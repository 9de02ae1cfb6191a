import { SimpleError } from 'redis';
import {
  clientStatus,
  fromNodeRedis,
  isNodeRedisClient,
  isNodeRedisCluster,
  isNodeRedisErrorReply,
  redisCommand,
} from '../../src/index';
import { FakeNodeCluster } from '../support/node-redis-cluster';
import { FakeNodeSingle as FakeSingle } from '../support/node-redis-single';

// node-redis shape detection and the adapter, written for survivors of the Redis-backed mutation
// run (issue #23).

const shape = (extra: object) => ({
  isOpen: true,
  sendCommand() {},
  on() {},
  off() {},
  ...extra,
});

describe('node-redis shapes', () => {
  it('a node-redis client needs isOpen (boolean), sendCommand, on, and no status string', () => {
    expect(isNodeRedisClient(shape({}))).toBe(true);
    expect(isNodeRedisClient(shape({ on: undefined }))).toBe(false);
    expect(isNodeRedisClient(shape({ sendCommand: 'x' }))).toBe(false);
    expect(isNodeRedisClient(shape({ status: 'ready' }))).toBe(false);
    expect(isNodeRedisClient(shape({ status: 1 }))).toBe(true);
    expect(isNodeRedisClient(undefined)).toBe(false);
  });
  it('a cluster: v5 nodeClient, v4 getSlotMaster, or masters without isReady', () => {
    expect(isNodeRedisCluster(shape({}))).toBe(false);
    expect(isNodeRedisCluster(shape({ nodeClient() {} }))).toBe(true);
    expect(isNodeRedisCluster(shape({ getSlotMaster() {} }))).toBe(true);
    expect(isNodeRedisCluster(shape({ masters: [] }))).toBe(true);
    expect(isNodeRedisCluster(shape({ masters: [], isReady: true }))).toBe(false);
    expect(isNodeRedisCluster(shape({ masters: 'x' }))).toBe(false);
    expect(isNodeRedisCluster({ nodeClient() {} })).toBe(false); // no client at all
  });
  it('clientStatus: an ioredis status as it is; socketEpoch decides over a ready seen before', () => {
    expect(clientStatus({ status: 'wait' } as never)).toBe('wait');
    const c = new FakeSingle();
    expect(clientStatus(c)).toBe('ready');
    c.isReady = false;
    c.socketEpoch = 0;
    expect(clientStatus(c)).toBe('connecting');
    c.socketEpoch = 2;
    expect(clientStatus(c)).toBe('reconnecting');
  });
  it('isNodeRedisErrorReply: subclasses of a reply error; not plain errors, objects or null-prototype ones', () => {
    class Mine extends SimpleError {}
    expect(isNodeRedisErrorReply(new Mine('ERR x'))).toBe(true);
    expect(isNodeRedisErrorReply(new Error('ERR x'))).toBe(false);
    expect(isNodeRedisErrorReply({})).toBe(false);
    expect(isNodeRedisErrorReply(Object.create(null))).toBe(false);
    expect(isNodeRedisErrorReply(Object.create(Object.create(null)))).toBe(false);
    expect(isNodeRedisErrorReply('ErrorReply')).toBe(false);
    expect(isNodeRedisErrorReply(null)).toBe(false);
  });
});

describe('redisCommand', () => {
  it('rejects (never throws) for a client with neither call nor sendCommand', async () => {
    let p: Promise<unknown> | undefined;
    expect(() => {
      p = redisCommand({ status: 'ready' } as never, ['PING']);
    }).not.toThrow();
    await expect(p).rejects.toThrow('redisCommand: client has neither call nor sendCommand');
  });
  it('sends Buffers as they are and other values as text', async () => {
    const c = new FakeSingle();
    const buf = Buffer.from([0xff, 0x00]);
    await redisCommand(c, ['SET', buf, 1.5, true]);
    expect(c.sent).toEqual([['SET', buf, '1.5', 'true']]);
    expect(c.sent[0]?.[1]).toBe(buf);
  });
});

describe('fromNodeRedis (more)', () => {
  it('on a cluster: a script without keys has no first key; numberOfKeys may be text (sent as its number); sendCommand routes', async () => {
    const c = new FakeNodeCluster();
    const a = fromNodeRedis(c);
    await a.eval('return 1', 0);
    await a.evalsha('abc', '02', Buffer.from('{t}a'), '{t}b');
    await a.sendCommand(['GET', '{t}k'], '{t}k');
    expect(c.sent).toEqual([
      [undefined, false, ['EVAL', 'return 1', '0']],
      [Buffer.from('{t}a'), false, ['EVALSHA', 'abc', '2', Buffer.from('{t}a'), '{t}b']],
      ['{t}k', false, ['GET', '{t}k']],
    ]);
  });
  it("passes other events through; a single client's end stays end; quit() closes and answers OK", async () => {
    const c = new FakeSingle();
    const a = fromNodeRedis(c);
    const seen: string[] = [];
    const onError = () => seen.push('error');
    const onEnd = () => seen.push('end');
    expect(a.on('error', onError)).toBe(a);
    expect(a.on('end', onEnd)).toBe(a);
    c.emit('error', new Error('x'));
    c.emit('end');
    expect(a.off('error', onError)).toBe(a);
    a.off('end', onEnd);
    expect(c.listenerCount('error') + c.listenerCount('end')).toBe(0);
    expect(seen).toEqual(['error', 'end']);
    await expect(a.quit()).resolves.toBe('OK');
    expect(c.calls).toEqual(['close']);
    expect(a.status).toBe('end');
  });
});
