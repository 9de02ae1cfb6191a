// What the function rejects with is never handed to async-retry (which reads `err.bail` on it):
// a rejection with undefined or null used to leave the call unsettled forever, and an error
// carrying a truthy `bail` property stopped the retries with no give-up.
import { retryable } from '../../src';

const quick = { minDelayMs: 0, maxDelayMs: 1, maxAttempts: 3, logger: false as const };

describe('thrown values the function chooses', () => {
  it.each([
    ['undefined', undefined],
    ['null', null],
  ])('a rejection with %s is retried, then rethrown as it was', async (_label, value) => {
    let calls = 0;
    const f = retryable({ ...quick, retryOn: () => true })(async () => {
      calls++;
      throw value;
    });
    await expect(f()).rejects.toBe(value);
    expect(calls).toBe(3);
  });

  it('an error with a truthy `bail` property is retried like any other, and gives up once', async () => {
    let calls = 0;
    const gaveUp: string[] = [];
    const r = retryable({ ...quick, retryOn: () => true });
    r.onGiveUp((e) => gaveUp.push(e.reason));
    const f = r(async () => {
      calls++;
      throw Object.assign(new Error('upstream'), { bail: true });
    });
    await expect(f()).rejects.toThrow('upstream');
    expect(calls).toBe(3);
    expect(gaveUp).toEqual(['exhausted']);
  });
});
