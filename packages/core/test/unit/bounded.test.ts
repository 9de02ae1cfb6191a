import {
  BoundedRedis,
  CORE_ERROR_CODES,
  isRedisOutage,
  RedisUnavailableError,
} from '../../src/index';
import { codeOf, FakeClient, hang, setup } from '../support/bounded';

function replyError(message: string): Error {
  const e = new Error(message);
  e.name = 'ReplyError';
  return e;
}

describe('BoundedRedis', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('returns the reply of a healthy Redis and stays healthy', async () => {
    const { b, degraded } = setup();
    await expect(b.run(async () => 'PONG')).resolves.toBe('PONG');
    expect(b.degraded).toBe(false);
    expect(degraded).toEqual([]);
  });

  it('rejects a command slower than timeoutMs and degrades once', async () => {
    const { b, degraded } = setup();
    const p = codeOf(b.run(hang));
    jest.advanceTimersByTime(299);
    expect(b.degraded).toBe(false);
    jest.advanceTimersByTime(1);
    expect(await p).toBe(CORE_ERROR_CODES.REDIS_TIMEOUT);
    expect(b.degraded).toBe(true);
    expect(degraded).toEqual([{ reason: 'timeout', code: CORE_ERROR_CODES.REDIS_TIMEOUT }]);
  });

  it('fails fast during the back-off without touching Redis', async () => {
    const { b } = setup();
    const first = codeOf(b.run(hang));
    jest.advanceTimersByTime(300);
    await first;
    const call = jest.fn(async () => 'PONG');
    jest.advanceTimersByTime(999);
    expect(await codeOf(b.run(call))).toBe(CORE_ERROR_CODES.REDIS_UNAVAILABLE);
    expect(call).not.toHaveBeenCalled();
    expect(b.usable()).toBe(false);
  });

  it('after the back-off lets exactly one call probe while the others fail fast', async () => {
    const { b, degraded, restored } = setup();
    const first = codeOf(b.run(hang));
    jest.advanceTimersByTime(300);
    await first;
    jest.advanceTimersByTime(1000);
    expect(b.usable()).toBe(true);
    let answer: (v: string) => void = () => {};
    const probe = b.run(() => new Promise<string>((r) => (answer = r)));
    const other = jest.fn(async () => 'x');
    expect(await codeOf(b.run(other))).toBe(CORE_ERROR_CODES.REDIS_UNAVAILABLE);
    expect(other).not.toHaveBeenCalled();
    jest.advanceTimersByTime(100);
    answer('PONG');
    await expect(probe).resolves.toBe('PONG');
    expect(b.degraded).toBe(false);
    expect(degraded).toHaveLength(1);
    expect(restored).toEqual([{ downMs: 1100 }]); // from the time-out at 300 ms to the answer at 1400 ms
    await expect(b.run(other)).resolves.toBe('x');
  });

  it('a probe that times out starts a new back-off without a second degraded event', async () => {
    const { b, degraded } = setup();
    const first = codeOf(b.run(hang));
    jest.advanceTimersByTime(1300);
    await first;
    const probe = codeOf(b.run(hang));
    jest.advanceTimersByTime(300);
    expect(await probe).toBe(CORE_ERROR_CODES.REDIS_TIMEOUT);
    const call = jest.fn(async () => 1);
    jest.advanceTimersByTime(999);
    expect(await codeOf(b.run(call))).toBe(CORE_ERROR_CODES.REDIS_UNAVAILABLE);
    expect(call).not.toHaveBeenCalled();
    expect(degraded).toHaveLength(1);
  });

  it('a hung Redis costs one bounded wait per back-off period, however many calls come', async () => {
    const { b } = setup();
    const call = jest.fn(hang);
    const outcomes: Promise<string | undefined>[] = [];
    // one call every 10 ms for 13 s of a Redis that never answers
    for (let t = 0; t < 13_000; t += 10) {
      outcomes.push(codeOf(b.run(call)));
      await jest.advanceTimersByTimeAsync(10);
    }
    await jest.advanceTimersByTimeAsync(300);
    const codes = await Promise.all(outcomes);
    // Until the first time-out nothing says Redis is gone: the 30 calls of the first 300 ms wait.
    // Then one probe per cycle of back-off (1000 ms) + its wait (300 ms): at 1.3 s, 2.6 s, ... 11.7 s.
    expect(call).toHaveBeenCalledTimes(30 + 9);
    expect(codes.filter((c) => c === CORE_ERROR_CODES.REDIS_TIMEOUT)).toHaveLength(39);
    expect(codes.filter((c) => c === CORE_ERROR_CODES.REDIS_UNAVAILABLE)).toHaveLength(1300 - 39);
  });

  it('fails fast and degrades while the client is not connected, without calling', async () => {
    const { client, b, degraded } = setup();
    client.status = 'reconnecting';
    const call = jest.fn(async () => 1);
    expect(await codeOf(b.run(call))).toBe(CORE_ERROR_CODES.REDIS_UNAVAILABLE);
    expect(call).not.toHaveBeenCalled();
    expect(degraded).toEqual([{ reason: 'unavailable', code: CORE_ERROR_CODES.REDIS_UNAVAILABLE }]);
  });

  it('lets a call wait (bounded) for the first connection', async () => {
    const { client, b } = setup();
    client.status = 'connecting';
    expect(b.usable()).toBe(true);
    await expect(b.run(async () => 1)).resolves.toBe(1);
  });

  it("probes at once when the client emits 'ready' after an outage", async () => {
    const { client, b, restored } = setup();
    client.status = 'reconnecting';
    await codeOf(b.run(async () => 1));
    client.status = 'ready';
    expect(b.usable()).toBe(false); // still inside the back-off
    client.emit('ready');
    expect(b.usable()).toBe(true);
    await expect(b.run(async () => 2)).resolves.toBe(2);
    expect(restored).toHaveLength(1);
  });

  it('an error reply of a working Redis rejects as it is and does not degrade', async () => {
    const { b, degraded } = setup();
    const wrongType = replyError(
      'WRONGTYPE Operation against a key holding the wrong kind of value',
    );
    await expect(b.run(() => Promise.reject(wrongType))).rejects.toBe(wrongType);
    expect(b.degraded).toBe(false);
    expect(degraded).toEqual([]);
  });

  it('a connection error or a LOADING reply degrades, with the error as cause', async () => {
    const { b, degraded } = setup();
    const loading = replyError('LOADING Redis is loading the dataset in memory');
    const err = await b.run(() => Promise.reject(loading)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedisUnavailableError);
    expect((err as RedisUnavailableError).code).toBe(CORE_ERROR_CODES.REDIS_FAILED);
    expect((err as RedisUnavailableError).cause).toBe(loading);
    expect(degraded).toEqual([{ reason: 'failed', code: CORE_ERROR_CODES.REDIS_FAILED }]);
    expect(isRedisOutage(new Error('Connection is closed.'))).toBe(true);
    expect(isRedisOutage('x')).toBe(true);
  });

  it('an abort rejects with its reason and is not a Redis failure', async () => {
    const { b } = setup();
    const ac = new AbortController();
    const p = b.run(hang, { signal: ac.signal });
    ac.abort(new Error('client went away'));
    await expect(p).rejects.toThrow('client went away');
    expect(b.degraded).toBe(false);
    await expect(b.run(async () => 1, { signal: ac.signal })).rejects.toThrow('client went away');
  });

  it('takes a per-call time limit', async () => {
    const { b } = setup();
    const p = codeOf(b.run(hang, { timeoutMs: 50 }));
    jest.advanceTimersByTime(50);
    expect(await p).toBe(CORE_ERROR_CODES.REDIS_TIMEOUT);
  });

  it('tryRun resolves undefined when Redis gave no reply, and rethrows error replies', async () => {
    const { client, b } = setup();
    await expect(b.tryRun(async () => 1)).resolves.toBe(1);
    const bad = replyError('ERR syntax');
    await expect(b.tryRun(() => Promise.reject(bad))).rejects.toBe(bad);
    client.status = 'end';
    await expect(b.tryRun(async () => 1)).resolves.toBeUndefined();
  });

  it('a throwing listener does not change the outcome', async () => {
    const { client, b } = setup();
    b.onDegraded(() => {
      throw new Error('listener bug');
    });
    client.status = 'end';
    expect(await codeOf(b.run(async () => 1))).toBe(CORE_ERROR_CODES.REDIS_UNAVAILABLE);
  });

  it('close() removes its listener from the client and refuses further calls', async () => {
    const { client, b } = setup();
    expect(client.listenerCount('ready')).toBe(1);
    await b.close();
    expect(client.listenerCount('ready')).toBe(0);
    expect(b.usable()).toBe(false);
    expect(await codeOf(b.run(async () => 1))).toBe(CORE_ERROR_CODES.CLOSED);
  });

  it('checks its options', () => {
    const client = new FakeClient();
    expect(() => new BoundedRedis(client, { timeoutMs: 0 })).toThrow(RangeError);
    expect(() => new BoundedRedis(client, { backoffMs: -1 })).toThrow(RangeError);
    expect(() => new BoundedRedis(client, { timeout: 5 } as never)).toThrow(
      'BoundedRedis: unknown option "timeout" (did you mean "timeoutMs"?)',
    );
    expect(() => new BoundedRedis(client, { isOutage: 1 } as never)).toThrow(TypeError);
    const b = new BoundedRedis(client);
    expect([b.timeoutMs, b.backoffMs]).toEqual([300, 1000]);
  });
});
