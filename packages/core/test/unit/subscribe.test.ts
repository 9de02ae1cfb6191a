import { EventEmitter as NodeEmitter } from 'node:events';
import { type ListeningEvent, subscribeChannel } from '../../src/index';

/** An ioredis-shaped subscriber connection: SUBSCRIBE answers as the test says. */
class FakeIoSub extends NodeEmitter {
  status = 'ready';
  asked: string[] = [];
  connects = 0;
  disconnects = 0;
  answer: () => Promise<unknown> = async () => 1;
  subscribe(channel: string) {
    this.asked.push(channel);
    return this.answer();
  }
  connect() {
    this.connects++;
    return Promise.resolve();
  }
  disconnect() {
    this.disconnects++;
    this.status = 'end';
  }
}

/** The application's client: `duplicate()` hands out the subscriber connection. */
function clientOf(sub: object) {
  return Object.assign(new NodeEmitter(), { status: 'ready', duplicate: () => sub }) as never;
}

/** Lets pending promise callbacks run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('subscribeChannel on an ioredis-shaped client', () => {
  it('delivers the messages of its channel only, once confirmed', async () => {
    const sub = new FakeIoSub();
    const got: string[] = [];
    const events: ListeningEvent[] = [];
    const s = subscribeChannel(clientOf(sub), 'ch', (m) => got.push(m));
    s.onListening((e) => events.push(e));
    await s.subscribed;
    expect(sub.asked).toEqual(['ch']);
    expect(s.listening).toBe(true);
    expect(events).toEqual([{ reconnect: false }]);
    sub.emit('message', 'other', 'not mine');
    sub.emit('message', 'ch', 'mine');
    expect(got).toEqual(['mine']);
    expect(sub.connects).toBe(0); // not lazy: ioredis connects by itself
    await s.close();
  });

  it('a failed SUBSCRIBE settles `subscribed` unconfirmed and is asked again on the next ready, with one message listener', async () => {
    const sub = new FakeIoSub();
    sub.answer = () => Promise.reject(new Error('down'));
    const got: string[] = [];
    const s = subscribeChannel(clientOf(sub), 'ch', (m) => got.push(m));
    await s.subscribed;
    expect(s.listening).toBe(false);
    sub.answer = async () => 1;
    sub.emit('ready');
    await settle();
    expect(sub.asked).toEqual(['ch', 'ch']);
    expect(s.listening).toBe(true);
    expect(sub.listenerCount('message')).toBe(1);
    sub.emit('message', 'ch', 'once');
    expect(got).toEqual(['once']);
    await s.close();
  });

  it('a ready after the subscription was confirmed is a reconnect: onListening fires with reconnect true, nothing asked again', async () => {
    const sub = new FakeIoSub();
    const s = subscribeChannel(clientOf(sub), 'ch', () => {});
    const events: ListeningEvent[] = [];
    s.onListening((e) => events.push(e));
    await s.subscribed;
    sub.emit('ready'); // the first ready: the connection it subscribed on
    expect(events).toEqual([{ reconnect: false }]);
    sub.emit('ready'); // a reconnect (ioredis renewed the subscription itself)
    await settle();
    expect(events).toEqual([{ reconnect: false }, { reconnect: true }]);
    expect(sub.asked).toEqual(['ch']);
    await s.close();
  });

  it('no second SUBSCRIBE while one is waiting for its answer', async () => {
    const sub = new FakeIoSub();
    let answer: (v: unknown) => void = () => {};
    sub.answer = () =>
      new Promise((resolve) => {
        answer = resolve;
      });
    const s = subscribeChannel(clientOf(sub), 'ch', () => {});
    sub.emit('ready');
    sub.emit('ready');
    expect(sub.asked).toEqual(['ch']);
    answer(1);
    await s.subscribed;
    expect(s.listening).toBe(true);
    await s.close();
  });

  it('a connection error settles `subscribed` only when no SUBSCRIBE is waiting', async () => {
    const sub = new FakeIoSub();
    let answer: (v: unknown) => void = () => {};
    sub.answer = () =>
      new Promise((resolve) => {
        answer = resolve;
      });
    const s = subscribeChannel(clientOf(sub), 'ch', () => {});
    let settled = false;
    void s.subscribed.then(() => {
      settled = true;
    });
    sub.emit('error', new Error('ECONNREFUSED'));
    await settle();
    expect(settled).toBe(false); // the SUBSCRIBE asked is still waiting: its answer settles it
    answer(1);
    await settle();
    expect(settled).toBe(true);
    await s.close();
  });

  it('a lazyConnect client (status wait) is connected', async () => {
    const sub = new FakeIoSub();
    sub.status = 'wait';
    const s = subscribeChannel(clientOf(sub), 'ch', () => {});
    expect(sub.connects).toBe(1);
    await s.subscribed;
    await s.close();
  });

  it('close() disconnects the duplicate, stops delivery and listens to no ready any more', async () => {
    const sub = new FakeIoSub();
    const app = clientOf(sub) as unknown as NodeEmitter & { disconnects?: number };
    const got: string[] = [];
    const s = subscribeChannel(app as never, 'ch', (m) => got.push(m));
    const events: ListeningEvent[] = [];
    s.onListening((e) => events.push(e));
    await s.subscribed;
    await s.close();
    expect(sub.disconnects).toBe(1);
    expect(s.listening).toBe(false);
    expect(sub.listenerCount('ready')).toBe(0);
    sub.emit('message', 'ch', 'late');
    expect(got).toEqual([]);
    expect(events).toEqual([{ reconnect: false }]);
  });

  it('close() leaves an ended duplicate alone', async () => {
    const sub = new FakeIoSub();
    const s = subscribeChannel(clientOf(sub), 'ch', () => {});
    await s.subscribed;
    sub.status = 'end';
    await s.close();
    expect(sub.disconnects).toBe(0);
  });

  it('closed while SUBSCRIBE is waiting: `subscribed` settles, never listening', async () => {
    const sub = new FakeIoSub();
    let answer: (v: unknown) => void = () => {};
    sub.answer = () =>
      new Promise((resolve) => {
        answer = resolve;
      });
    const s = subscribeChannel(clientOf(sub), 'ch', () => {});
    const events: ListeningEvent[] = [];
    s.onListening((e) => events.push(e));
    await s.close();
    answer(1);
    await s.subscribed;
    await settle();
    expect(s.listening).toBe(false);
    expect(events).toEqual([]);
  });
});

describe('subscribeChannel on a node-redis-shaped client', () => {
  /** A node-redis subscriber connection whose connect() answers as the test says. */
  function nodeSub(connect: () => Promise<unknown>) {
    return Object.assign(new NodeEmitter(), {
      isOpen: true,
      isReady: false,
      asked: [] as string[],
      sendCommand: async () => 'OK',
      connect,
      async subscribe(channel: string) {
        this.asked.push(channel);
      },
      destroy() {
        this.isOpen = false;
      },
    });
  }

  it('asks SUBSCRIBE once connected', async () => {
    const sub = nodeSub(async () => {});
    const s = subscribeChannel(clientOf(sub), 'ch', () => {});
    await s.subscribed;
    expect(sub.asked).toEqual(['ch']);
    expect(s.listening).toBe(true);
    await s.close();
    expect(sub.isOpen).toBe(false);
  });

  it('a connection error while connecting (no SUBSCRIBE asked yet) settles `subscribed`', async () => {
    const sub = nodeSub(() => new Promise(() => {}));
    const s = subscribeChannel(clientOf(sub), 'ch', () => {});
    sub.emit('error', new Error('ECONNREFUSED'));
    await s.subscribed;
    expect(s.listening).toBe(false);
    await s.close();
  });

  it('a failed connect settles `subscribed` unconfirmed, without asking', async () => {
    const sub = nodeSub(() => Promise.reject(new Error('ECONNREFUSED')));
    const s = subscribeChannel(clientOf(sub), 'ch', () => {});
    await s.subscribed;
    expect(sub.asked).toEqual([]);
    expect(s.listening).toBe(false);
    await s.close();
  });
});
