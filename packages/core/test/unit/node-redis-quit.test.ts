import { EventEmitter as NodeEmitter } from 'node:events';
import { quitClient } from '../../src/index';
import { FakeNodeSingle as FakeSingle } from '../support/node-redis-single';

// quitClient on node-redis shapes while a connection is being made (issue #21's leak, seen only in
// forked processes by quit-connecting.redis) and on node-redis v4's quit()/disconnect(): written
// for survivors of the Redis-backed mutation run (issue #23).

/** A node-redis v4 single client: quit() and disconnect(), no close()/destroy(). */
class FakeV4 extends NodeEmitter {
  isOpen = true;
  isReady = true;
  calls: string[] = [];
  sendCommand() {
    return Promise.resolve('OK');
  }
  async quit() {
    this.calls.push('quit');
    this.isOpen = false;
    this.isReady = false;
  }
  async disconnect() {
    this.calls.push('disconnect');
    this.isOpen = false;
    this.isReady = false;
  }
}

interface Node {
  client?: FakeSingle;
  connectPromise?: Promise<unknown>;
}

/** A node-redis cluster: masters/replicas/pubSubNode, no isReady. */
class FakeCluster extends NodeEmitter {
  isOpen = true;
  masters: Node[] = [];
  replicas: Node[] = [];
  pubSubNode?: Node;
  calls: string[] = [];
  nodeClient() {}
  sendCommand() {
    return Promise.resolve('OK');
  }
  async close() {
    this.calls.push('close');
    this.isOpen = false;
  }
  destroy() {
    this.calls.push('destroy');
    this.isOpen = false;
  }
}

/** True once `p` has settled, checked after the pending callbacks and timers of this turn. */
async function isSettled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => {
    done = true;
  });
  await new Promise((r) => setImmediate(r));
  return done;
}

const LONG = 60_000; // a wait the tests never reach: each one ends by an event

describe('quitClient on a node-redis client whose first connection is being made', () => {
  it('waits for ready, then closes it gracefully; its listeners are removed', async () => {
    const c = new FakeSingle();
    c.isReady = false;
    c.socketEpoch = 0;
    const before = c.eventNames().length;
    const q = quitClient(c, LONG);
    expect(await isSettled(q)).toBe(false);
    expect(c.calls).toEqual([]);
    expect(c.listenerCount('ready')).toBe(1);
    c.isReady = true;
    c.socketEpoch = 1;
    c.emit('ready');
    await q;
    expect(c.calls).toEqual(['close']);
    expect(c.eventNames().length).toBe(before);
  });
  it('waits for an error (the attempt failed), then destroys it without close', async () => {
    const c = new FakeSingle();
    c.isReady = false;
    c.socketEpoch = 0;
    const q = quitClient(c, LONG);
    expect(await isSettled(q)).toBe(false);
    c.emit('error', new Error('connect ECONNREFUSED'));
    await q;
    expect(c.calls).toEqual(['destroy']);
    expect(c.listenerCount('error') + c.listenerCount('ready') + c.listenerCount('end')).toBe(0);
  });
  it('waits for end (closed meanwhile by someone else), then does nothing more', async () => {
    const c = new FakeSingle();
    c.isReady = false;
    const q = quitClient(c, LONG);
    expect(await isSettled(q)).toBe(false);
    c.isOpen = false;
    c.emit('end');
    await q;
    expect(c.calls).toEqual([]);
  });
  it('gives up waiting after timeoutMs and destroys it', async () => {
    const c = new FakeSingle();
    c.isReady = false;
    await quitClient(c, 20);
    expect(c.calls).toEqual(['destroy']);
    expect(c.listenerCount('ready')).toBe(0);
  });
});

describe('quitClient on node-redis v4 (quit/disconnect)', () => {
  it('quits a ready client', async () => {
    const c = new FakeV4();
    await quitClient(c);
    expect(c.calls).toEqual(['quit']);
  });
  it('disconnects one that is not ready (a rejected disconnect is swallowed)', async () => {
    const c = new FakeV4();
    c.isReady = false;
    c.disconnect = async () => {
      c.calls.push('disconnect');
      c.isOpen = false;
      throw new Error('already closed');
    };
    await quitClient(c, 20);
    expect(c.calls).toEqual(['disconnect']);
  });
  it('a throwing destroy (closed meanwhile) does not reject quitClient', async () => {
    const c = new FakeSingle();
    c.isReady = false;
    c.destroy = () => {
      c.calls.push('destroy');
      throw new Error('closed meanwhile');
    };
    await expect(quitClient(c, 20)).resolves.toBeUndefined();
    expect(c.calls).toEqual(['destroy']);
  });
});

describe('quitClient on a node-redis cluster', () => {
  it('while it discovers its slots (no node yet): waits for connect, then closes it', async () => {
    const c = new FakeCluster();
    const q = quitClient(c, LONG);
    expect(await isSettled(q)).toBe(false);
    expect(c.listenerCount('connect')).toBe(1);
    expect(c.listenerCount('node-error')).toBe(1);
    c.masters = [{ client: new FakeSingle() }];
    c.emit('connect');
    await q;
    expect(c.calls[0]).toBe('close');
    expect(c.listenerCount('connect') + c.listenerCount('node-error')).toBe(0);
  });
  it('while a node connects (a replica or the pub/sub node): waits, and node-error ends the wait', async () => {
    for (const where of ['replicas', 'pubSubNode'] as const) {
      const c = new FakeCluster();
      const pending: Node = { client: new FakeSingle(), connectPromise: new Promise(() => {}) };
      c.masters = [{ client: new FakeSingle() }];
      if (where === 'replicas') c.replicas = [pending];
      else c.pubSubNode = pending;
      const q = quitClient(c, LONG);
      expect(await isSettled(q)).toBe(false);
      c.emit('node-error', new Error('node down'));
      await q;
      // still connecting after the wait: no graceful close, every open node client destroyed
      expect(c.calls).toEqual(['destroy']);
      expect(pending.client?.calls).toEqual(['destroy']);
    }
  });
  it('a ready cluster: closes it, then destroys every node client left open', async () => {
    const c = new FakeCluster();
    const open = new FakeSingle();
    const closed = new FakeSingle();
    closed.isOpen = false;
    const replica = new FakeSingle();
    const pubSub = new FakeSingle();
    c.masters = [{ client: open }, { client: closed }, {}];
    c.replicas = [{ client: replica }];
    c.pubSubNode = { client: pubSub };
    await quitClient(c, LONG);
    expect(c.calls).toEqual(['close']);
    expect([open.calls, closed.calls, replica.calls, pubSub.calls]).toEqual([
      ['destroy'],
      [],
      ['destroy'],
      ['destroy'],
    ]);
  });
});
