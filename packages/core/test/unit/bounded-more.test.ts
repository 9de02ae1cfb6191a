import { getEventListeners } from 'node:events';
import { CORE_ERROR_CODES, isRedisOutage } from '../../src/index';
import { codeOf, hang, setup } from '../support/bounded';

// BoundedRedis details written for survivors of the Redis-backed mutation run (issue #23): the
// abort listener's removal, the time-out cleared on an answer, the probe flag, events after
// close(), the isOutage option.

describe('BoundedRedis (more)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it("removes its abort listener from the caller's signal once the call is over", async () => {
    const { b } = setup();
    const ac = new AbortController();
    await expect(b.run(async () => 1, { signal: ac.signal })).resolves.toBe(1);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    const p = codeOf(b.run(hang, { signal: ac.signal }));
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
    jest.advanceTimersByTime(300);
    expect(await p).toBe(CORE_ERROR_CODES.REDIS_TIMEOUT);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });

  it('an answer in time, or an error, clears the time-out: nothing degrades later', async () => {
    const { b, degraded } = setup();
    await expect(b.run(async () => 'PONG')).resolves.toBe('PONG');
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(1000);
    expect(b.degraded).toBe(false);
    expect(degraded).toEqual([]);
    const reply = Object.assign(new Error('ERR mine'), { name: 'ReplyError' });
    await expect(b.run(() => Promise.reject(reply))).rejects.toBe(reply);
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(1000);
    expect(degraded).toEqual([]);
  });

  it('is not usable while the probe is in flight; an older call ending does not end the probe', async () => {
    const { b } = setup();
    let failOld: (e: unknown) => void = () => {};
    const old = codeOf(
      b.run(() => new Promise((_, reject) => (failOld = reject)), { timeoutMs: 60_000 }),
    );
    const first = codeOf(b.run(hang));
    jest.advanceTimersByTime(1300); // timed out at 300, back-off over at 1300
    expect(await first).toBe(CORE_ERROR_CODES.REDIS_TIMEOUT);
    expect(b.usable()).toBe(true);
    const probe = codeOf(b.run(hang, { timeoutMs: 60_000 }));
    expect(b.usable()).toBe(false);
    jest.advanceTimersByTime(100);
    failOld(new Error('connection reset')); // an outage: a new back-off, until 2400
    expect(await old).toBe(CORE_ERROR_CODES.REDIS_FAILED);
    jest.advanceTimersByTime(1000);
    // the probe still waits: no second call may go to Redis
    expect(b.usable()).toBe(false);
    const call = jest.fn(async () => 1);
    expect(await codeOf(b.run(call))).toBe(CORE_ERROR_CODES.REDIS_UNAVAILABLE);
    expect(call).not.toHaveBeenCalled();
    jest.advanceTimersByTime(60_000);
    expect(await probe).toBe(CORE_ERROR_CODES.REDIS_TIMEOUT);
  });

  it('once degraded, a client still connecting is not waited for: no call, not usable', async () => {
    const { client, b } = setup();
    client.status = 'reconnecting';
    expect(await codeOf(b.run(async () => 1))).toBe(CORE_ERROR_CODES.REDIS_UNAVAILABLE);
    expect(b.degraded).toBe(true);
    client.status = 'connecting';
    jest.advanceTimersByTime(5000); // the back-off is over, but only a ready client is probed
    expect(b.usable()).toBe(false);
    const call = jest.fn(async () => 1);
    expect(await codeOf(b.run(call))).toBe(CORE_ERROR_CODES.REDIS_UNAVAILABLE);
    expect(call).not.toHaveBeenCalled();
  });

  it('after close(), a call still waiting emits no event', async () => {
    const { b, degraded } = setup();
    const p = codeOf(b.run(hang));
    await b.close();
    jest.advanceTimersByTime(300);
    expect(await p).toBe(CORE_ERROR_CODES.REDIS_TIMEOUT);
    expect(degraded).toEqual([]);
  });

  it('after close(), a call still waiting that succeeds after an outage emits no restored event', async () => {
    const { b, restored } = setup();
    let answer: (v: string) => void = () => {};
    const p = b.run(() => new Promise<string>((r) => (answer = r)), { timeoutMs: 60_000 });
    await codeOf(b.run(() => Promise.reject(new Error('socket closed'))));
    expect(b.degraded).toBe(true);
    await b.close();
    answer('PONG');
    await expect(p).resolves.toBe('PONG');
    expect(restored).toEqual([]);
  });

  it('takes its own isOutage: an error it calls no outage rejects as it is', async () => {
    const { b, degraded } = setup({ isOutage: () => false });
    const err = new Error('Connection is closed.');
    await expect(b.run(() => Promise.reject(err))).rejects.toBe(err);
    expect(degraded).toEqual([]);
    const { b: b2, degraded: d2 } = setup({ isOutage: () => true });
    const reply = Object.assign(new Error('WRONGTYPE x'), { name: 'ReplyError' });
    await expect(b2.run(() => Promise.reject(reply))).rejects.toMatchObject({
      code: CORE_ERROR_CODES.REDIS_FAILED,
      cause: reply,
    });
    expect(d2).toHaveLength(1);
  });

  it('isRedisOutage: null and non-objects are outages; a reply error of each outage kind too', () => {
    expect(isRedisOutage(null)).toBe(true);
    expect(isRedisOutage(undefined)).toBe(true);
    const reply = (m: string) => Object.assign(new Error(m), { name: 'ReplyError' });
    for (const m of ['BUSY x', 'MASTERDOWN x', 'TRYAGAIN x', 'LOADING x', 'CLUSTERDOWN x'])
      expect(isRedisOutage(reply(m))).toBe(true);
    for (const m of ['ERR BUSY', 'BUSYGROUP x', 'NOSCRIPT x'])
      expect(isRedisOutage(reply(m))).toBe(false);
  });
});
