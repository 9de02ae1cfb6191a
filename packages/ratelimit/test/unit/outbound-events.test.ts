// Issue #23 (mutation score of outbound.ts): the outbound limiter's events and close() through the
// public API, on fake time, in memory and with a fake ioredis client. The event contract
// (payloads, one event per refusal with its code, none for an argument error, no emit without a
// listener, each event counted by telemetry) was asserted only by the Redis integration tests,
// which Stryker does not run per mutant; close() switching the limiter to memory behind a
// quarantine was asserted nowhere.

import { EventEmitter } from 'node:events';
import { metrics } from '@opentelemetry/api';
import { EventEmitter as CoreEventEmitter } from '@resil/core';
import {
  createRateLimiter,
  ERROR_CODES,
  RateLimitAbortError,
  type RateLimiter,
  type RateLimiterOptions,
  RateLimitQueueFullError,
  RateLimitTimeoutError,
} from '../../src';

/** A fake ioredis client that grants every GCRA call at once, or fails while `down`. */
class FakeRedis extends EventEmitter {
  status = 'ready';
  down = false;
  calls = 0;
  evalsha(): Promise<[string, number]> {
    return this.#answer();
  }
  eval(): Promise<[string, number]> {
    return this.#answer();
  }
  quit(): Promise<string> {
    return Promise.resolve('OK');
  }
  disconnect(): void {}
  #answer(): Promise<[string, number]> {
    this.calls++;
    return this.down ? Promise.reject(new Error('down')) : Promise.resolve(['0', 1]);
  }
}

/** Every payload of the four events, in order. */
function record(l: RateLimiter) {
  const seen: Array<[string, unknown]> = [];
  l.onGranted((e) => seen.push(['granted', e]));
  l.onRefused((e) => seen.push(['refused', e]));
  l.onDegraded((e) => seen.push(['degraded', e]));
  l.onRestored((e) => seen.push(['restored', e]));
  return seen;
}

const memoryLimiter = (o: Partial<RateLimiterOptions> = {}) =>
  createRateLimiter({ name: 'ev', points: 2, durationMs: 1000, margin: 0, logger: false, ...o });

// the hooks stay inside this describe (test/mutation/all-unit.ts loads every unit file into one
// module)
describe('createRateLimiter: events and close()', () => {
  /** What createTelemetry counts: every counter add of a MeterProvider set for these tests. */
  const counted: Array<{ instrument: string; attributes: Record<string, unknown> }> = [];
  /** The instrumentation scope of each meter asked for. */
  const scopes: string[] = [];
  const telemetry = (pipeline: string) =>
    counted
      .filter(
        (c) =>
          c.instrument === 'resilience.strategy.events' &&
          c.attributes['pipeline.name'] === pipeline,
      )
      .map((c) => [c.attributes['event.name'], c.attributes['event.severity']]);

  beforeAll(() => {
    const meter = {
      createCounter: (instrument: string) => ({
        add: (_v: number, attributes: Record<string, unknown> = {}) =>
          counted.push({ instrument, attributes }),
      }),
      createHistogram: () => ({ record: () => {} }),
    };
    metrics.setGlobalMeterProvider({
      getMeter: (scope: string) => {
        scopes.push(scope);
        return meter;
      },
    } as never);
  });
  afterAll(() => {
    metrics.disable();
  });
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('granted with its cost and the wait it took; refused with the code of each refusal; an argument error is no refusal; each counted by telemetry', async () => {
    // 2 units a second, a burst of 2, one waiting caller at most
    const l = memoryLimiter({ burst: 2, maxQueue: 1 });
    const seen = record(l);
    expect(await l.tryAcquire(2)).toBe(true);
    const waited = l.acquire(); // the next slot is a second away
    await jest.advanceTimersByTimeAsync(999);
    expect(seen).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    await waited;
    expect(await l.tryAcquire()).toBe(true); // the window of the first grant is over
    expect(await l.tryAcquire()).toBe(false); // the next is 500 ms away
    await expect(l.acquire({ timeoutMs: 0, cost: 2 })).rejects.toBeInstanceOf(
      RateLimitTimeoutError,
    );
    await expect(l.acquire({ signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
      RateLimitAbortError,
    );
    const ac = new AbortController();
    const queued = l.acquire({ signal: ac.signal }).catch((e: unknown) => e);
    expect(l.waiting).toBe(1);
    await expect(l.acquire()).rejects.toBeInstanceOf(RateLimitQueueFullError);
    ac.abort();
    expect(await queued).toBeInstanceOf(RateLimitAbortError);
    await expect(l.acquire({ cost: 3 })).rejects.toThrow(RangeError);
    await expect(l.tryAcquire(0)).rejects.toThrow(RangeError);
    await expect(l.acquire({ timeoutMs: -1 })).rejects.toThrow(RangeError);
    expect(seen).toEqual([
      ['granted', { name: 'ev', cost: 2, waitedMs: 0 }],
      ['granted', { name: 'ev', cost: 1, waitedMs: 1000 }],
      ['granted', { name: 'ev', cost: 1, waitedMs: 0 }],
      ['refused', { name: 'ev', cost: 1, code: ERROR_CODES.TIMEOUT }],
      ['refused', { name: 'ev', cost: 2, code: ERROR_CODES.TIMEOUT }],
      ['refused', { name: 'ev', cost: 1, code: ERROR_CODES.ABORTED }],
      ['refused', { name: 'ev', cost: 1, code: ERROR_CODES.QUEUE_FULL }],
      ['refused', { name: 'ev', cost: 1, code: ERROR_CODES.ABORTED }],
    ]);
    expect(telemetry('ev')).toEqual([
      ['granted', 'information'],
      ['granted', 'information'],
      ['granted', 'information'],
      ['refused', 'warning'],
      ['refused', 'warning'],
      ['refused', 'warning'],
      ['refused', 'warning'],
      ['refused', 'warning'],
    ]);
    expect(scopes).toEqual(['@resil/ratelimit']); // the package's own instrumentation scope
    expect(l.waiting).toBe(0);
  });

  it('with no listener no event is emitted (no payload is built); with one, each outcome is', async () => {
    const emit = jest.spyOn(CoreEventEmitter.prototype, 'emit');
    // core's own store-health emitters are not the limiter's: only payloads with its name count
    const emitted = () =>
      emit.mock.calls.filter(([v]) => String((v as { name?: unknown }).name).startsWith('quiet'));
    try {
      const fake = new FakeRedis();
      const l = createRateLimiter({
        name: 'quiet',
        points: 1,
        durationMs: 1000,
        redis: fake as never,
        logger: false,
      });
      const m = memoryLimiter({ name: 'quiet-memory', points: 1 });
      expect(await l.tryAcquire()).toBe(true);
      expect(await m.tryAcquire()).toBe(true);
      expect(await m.tryAcquire()).toBe(false);
      fake.down = true;
      expect(await l.tryAcquire()).toBe(false); // degraded
      await jest.advanceTimersByTimeAsync(1000);
      fake.down = false;
      expect(await l.tryAcquire()).toBe(true); // restored
      expect(fake.calls).toBe(3);
      expect(emitted()).toEqual([]);
      const seenRedis = record(l);
      const seenMemory = record(m);
      await jest.advanceTimersByTimeAsync(1000);
      expect(await m.tryAcquire()).toBe(true);
      expect(await m.tryAcquire()).toBe(false);
      fake.down = true;
      expect(await l.tryAcquire()).toBe(false);
      await jest.advanceTimersByTimeAsync(1000);
      fake.down = false;
      expect(await l.tryAcquire()).toBe(true);
      expect(emitted()).toHaveLength(6);
      expect(seenMemory.map(([event]) => event)).toEqual(['granted', 'refused']);
      expect(seenRedis.map(([event]) => event)).toEqual([
        'degraded',
        'refused',
        'restored',
        'granted',
      ]);
    } finally {
      emit.mockRestore();
    }
  });

  it('degraded and restored carry the name, the reason and how long Redis was away', async () => {
    const fake = new FakeRedis();
    const l = createRateLimiter({
      name: 'store',
      points: 10,
      durationMs: 1000,
      redis: fake as never,
      logger: false,
    });
    const seen = record(l);
    fake.down = true;
    expect(await l.tryAcquire()).toBe(false);
    await jest.advanceTimersByTimeAsync(1500);
    fake.down = false;
    expect(await l.tryAcquire()).toBe(true);
    expect(seen).toEqual([
      ['degraded', { name: 'store', reason: 'failed' }],
      ['refused', { name: 'store', cost: 1, code: ERROR_CODES.TIMEOUT }], // quarantine
      ['restored', { name: 'store', downMs: 1500 }],
      ['granted', { name: 'store', cost: 1, waitedMs: 0 }],
    ]);
  });

  it('close() with Redis: degraded, Redis no longer asked, nothing granted for two windows (others may hold slots), then the per-process share; listeners hear nothing more', async () => {
    const fake = new FakeRedis();
    // window 1000 ms × 1.25 = 1250 ms: quarantine 2500 ms; the share: 4 units a window
    const l = createRateLimiter({
      name: 'closing',
      points: 8,
      durationMs: 1000,
      burst: 8,
      margin: 0.25,
      expectedWorkers: 2,
      redis: fake as never,
      logger: false,
    });
    const seen = record(l);
    expect(await l.tryAcquire()).toBe(true);
    expect(l.degraded).toBe(false);
    await l.close();
    await l.close(); // idempotent
    expect(l.degraded).toBe(true);
    expect(l.storage).toBe('redis');
    expect(await l.tryAcquire()).toBe(false);
    await jest.advanceTimersByTimeAsync(2499);
    expect(await l.tryAcquire()).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect([
      await l.tryAcquire(),
      await l.tryAcquire(),
      await l.tryAcquire(),
      await l.tryAcquire(),
      await l.tryAcquire(),
    ]).toEqual([true, true, true, true, false]);
    expect(fake.calls).toBe(1);
    expect(seen).toEqual([['granted', { name: 'closing', cost: 1, waitedMs: 0 }]]);
  });

  it('close() in memory: not degraded, no quarantine, the same limit; listeners hear nothing more', async () => {
    const l = memoryLimiter({ name: 'closing-memory', burst: 2 });
    const seen = record(l);
    expect(await l.tryAcquire()).toBe(true);
    await l.close();
    expect(l.degraded).toBe(false);
    expect(l.storage).toBe('memory');
    expect(await l.tryAcquire()).toBe(true);
    expect(await l.tryAcquire()).toBe(false);
    expect(seen).toEqual([['granted', { name: 'closing-memory', cost: 1, waitedMs: 0 }]]);
  });
});
