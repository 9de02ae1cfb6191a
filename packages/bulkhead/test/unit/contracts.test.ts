// What the mutation run (issue #23) found untested in the per-process bulkhead: the errors' exact
// messages and names (configuration only, never input), the option errors' messages and codes,
// the wrapper's name, the `queue` property, and the `closed` notice of queued callers at close().
import type { CallContext } from '@resil/core';
import { BulkheadClosedError, BulkheadFullError, bulkhead, type RejectedNotice } from '../../src';

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('bulkhead errors', () => {
  it('full: the limit and queue in the message, the name on the error', () => {
    const e = new BulkheadFullError('api', 3, 5);
    expect(e.message).toBe('bulkhead full: 3 call(s) in flight and 5 queued');
    expect(e.name).toBe('BulkheadFullError');
    expect(e).toMatchObject({ code: 'RESIL_BULKHEAD_FULL', bulkhead: 'api', limit: 3, queue: 5 });
  });

  it('closed', () => {
    const e = new BulkheadClosedError();
    expect(e.message).toBe('bulkhead closed');
    expect(e.name).toBe('BulkheadClosedError');
    expect(e.code).toBe('RESIL_BULKHEAD_CLOSED');
  });
});

describe('bulkhead options', () => {
  it('redis: an empty URL or null is refused with the option named, never the value', () => {
    for (const redis of ['', null]) {
      let thrown: unknown;
      try {
        bulkhead({ name: 'x', limit: 1, redis: redis as never });
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toMatchObject({
        code: 'RESIL_CORE_OPTION_TYPE',
        option: 'redis',
        message: 'bulkhead: redis must be an ioredis or node-redis client or cluster, or a URL',
      });
    }
  });

  it('name and keyPrefix errors describe the rule', () => {
    expect(() => bulkhead({ name: 'a{b}', limit: 1 })).toThrow(/a string without \{ or \}/);
    expect(() => bulkhead({ name: 'x', limit: 1, keyPrefix: '{' })).toThrow(
      /they would move the hash tag of the key/,
    );
    expect(() => bulkhead({ name: 'x', limit: 1, pollMs: 0 })).toThrow(/pollMs/);
    expect(() => bulkhead({ name: 'x', limit: 1, expectedWorkers: 0 })).toThrow(/expectedWorkers/);
  });

  it('queue is what was set (0 by default); the wrapper keeps the function name, else takes the bulkhead name', () => {
    expect(bulkhead({ name: 'q', limit: 1, queue: 7 }).queue).toBe(7);
    expect(bulkhead({ name: 'q', limit: 1 }).queue).toBe(0);
    const bh = bulkhead({ name: 'guard', limit: 1, logger: false });
    async function readChart() {
      return 1;
    }
    expect(bh(readChart).name).toBe('readChart');
    expect(bh(async () => 1).name).toBe('guard');
    expect(() => bh(3 as never)).toThrow(new TypeError('bulkhead: expected a function to wrap'));
  });
});

describe('close() and queued callers', () => {
  it('each queued caller is refused as `closed` (onRejected says so), once', async () => {
    const bh = bulkhead({ name: 'closing', limit: 1, queue: 2, logger: false });
    const notices: RejectedNotice[] = [];
    bh.onRejected((n) => notices.push(n));
    let finish: (v: string) => void = () => {};
    const run = bh(
      (_c?: CallContext) =>
        new Promise<string>((resolve) => {
          finish = resolve;
        }),
    );
    const running = run();
    await tick();
    const q1 = run().catch((e: unknown) => e);
    const q2 = run().catch((e: unknown) => e);
    await tick();
    expect(bh.queued).toBe(2);
    await bh.close();
    expect(await q1).toBeInstanceOf(BulkheadClosedError);
    expect(await q2).toBeInstanceOf(BulkheadClosedError);
    expect(notices).toEqual([
      { name: 'closing', reason: 'closed' },
      { name: 'closing', reason: 'closed' },
    ]);
    expect(bh.queued).toBe(0);
    finish('done');
    await expect(running).resolves.toBe('done');
    expect(bh.inFlight).toBe(0);
  });
});
