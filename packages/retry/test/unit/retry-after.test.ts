import { RetryBudget, type RetryEvent, retryAfterMsOf, retryable } from '../../src';

// Issue #23 finding 9: Retry-After parsing trusted V8's lenient Date.parse, so hostile or broken
// values became a 0 ms wait; a Retry-After shorter than the backoff shortened the wait; options
// that disable the protections (Infinity) were accepted.

const MAX_TIMER_MS = 2 ** 31 - 1;
const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

const withRetryAfter = (value: unknown) =>
  Object.assign(new Error('HTTP 503'), { status: 503, headers: { 'retry-after': value } });

/** The first wait retryable() chooses for an error, with a fixed backoff of `backoffMs`. */
async function firstWait(error: unknown, backoffMs: number): Promise<RetryEvent | undefined> {
  const events: RetryEvent[] = [];
  const ac = new AbortController();
  const f = retryable({
    logger: false,
    minDelayMs: backoffMs,
    maxDelayMs: backoffMs,
    jitter: 'none',
    clock: () => NOW,
    signal: ac.signal,
    onRetry: (e) => {
      events.push(e);
      ac.abort(new Error('stop'));
    },
  })(async () => {
    throw error;
  });
  await f().catch(() => undefined);
  return events[0];
}

describe('Retry-After (issue #23 finding 9)', () => {
  it.each([
    ['soon 5'],
    ['-5'],
    ['1 2 3'],
    ['5, 10'],
    ['1.5'],
    ['1e3'],
    ['0x10'],
    ['+5'],
    [''],
    ['Infinity'],
    ['Sunday, 06-Nov-94 08:49:37 GMT'], // RFC 850 date: obsolete, not an IMF-fixdate
    ['Sun Nov  6 08:49:37 1994'], // asctime: obsolete
    ['sun, 06 Nov 2026 08:49:37 GMT'], // names are case-sensitive
    ['Sun, 31 Feb 2026 08:49:37 GMT'], // no such day
    ['Sun, 06 Nov 2026 24:00:00 GMT'],
    ['Sun, 06 Nov 2026 08:49:37 UTC'],
    ['Sun, 6 Nov 2026 08:49:37 GMT'],
  ])('retryAfterMsOf ignores %j (neither an integer nor an IMF-fixdate)', (value) => {
    expect(retryAfterMsOf(withRetryAfter(value), NOW)).toBeUndefined();
  });

  it.each([
    ['0', 0],
    ['12', 12_000],
    [' \t12 ', 12_000],
    ['007', 7_000],
    [12, 12_000],
    [['30'], 30_000],
    ['Thu, 01 Jan 2026 12:00:30 GMT', 30_000],
    ['Mon, 01 Jan 2026 12:00:30 GMT', 30_000], // the day name is not cross-checked
    ['Thu, 01 Jan 2026 11:00:00 GMT', 0], // in the past
    ['Thu, 01 Jan 2026 12:00:60 GMT', 60_000], // a leap second
  ])('retryAfterMsOf reads %j as %d ms', (value, ms) => {
    expect(retryAfterMsOf(withRetryAfter(value), NOW)).toBe(ms);
  });

  it('a duplicated header given as an array is ignored, not read from its first value', () => {
    expect(retryAfterMsOf(withRetryAfter(['5', '10']), NOW)).toBeUndefined();
  });

  it('a duplicated header joined by Headers ("5, 10") is ignored', () => {
    const h = new Headers();
    h.append('Retry-After', '5');
    h.append('Retry-After', '10');
    const err = Object.assign(new Error('x'), { response: { status: 503, headers: h } });
    expect(retryAfterMsOf(err, NOW)).toBeUndefined();
  });

  it.each([
    ['99999999999999999999999'],
    ['9'.repeat(400)], // Number() of this is Infinity
    ['Fri, 31 Dec 9999 23:59:59 GMT'],
  ])('retryAfterMsOf clamps %j to what a timer can hold', (value) => {
    expect(retryAfterMsOf(withRetryAfter(value), NOW)).toBe(MAX_TIMER_MS);
  });

  it.each([['soon 5'], ['-5'], ['1 2 3'], ['5, 10']])(
    'a hostile Retry-After %j does not remove the backoff',
    async (value) => {
      const event = await firstWait(withRetryAfter(value), 4000);
      expect(event?.delayMs).toBe(4000);
    },
  );

  it('a Retry-After shorter than the computed backoff never shortens the wait', async () => {
    expect((await firstWait(withRetryAfter('1'), 4000))?.delayMs).toBe(4000);
    expect((await firstWait(withRetryAfter('0'), 4000))?.delayMs).toBe(4000);
  });

  it('a Retry-After longer than the computed backoff is the wait', async () => {
    expect((await firstWait(withRetryAfter('9'), 4000))?.delayMs).toBe(9000);
  });

  it('a Retry-After far beyond what a timer holds gives up by default', async () => {
    const onGiveUp = jest.fn();
    const fn = jest.fn(async () => {
      throw withRetryAfter('9'.repeat(30));
    });
    await expect(retryable({ logger: false, onGiveUp })(fn)()).rejects.toThrow('HTTP 503');
    expect(fn).toHaveBeenCalledTimes(1);
    expect(onGiveUp).toHaveBeenCalledWith(
      expect.objectContaining({ reason: 'retry-after-too-long' }),
    );
  });

  it('with maxRetryAfterMs at the timer limit, such a wait is clamped to it and really pending', async () => {
    jest.useFakeTimers();
    try {
      const events: RetryEvent[] = [];
      const fn = jest.fn(async () => {
        throw withRetryAfter('9'.repeat(30));
      });
      const p = retryable({
        logger: false,
        maxRetryAfterMs: MAX_TIMER_MS,
        onRetry: (e) => events.push(e),
      })(fn)();
      p.catch(() => undefined);
      await jest.advanceTimersByTimeAsync(60_000);
      expect(events.map((e) => e.delayMs)).toEqual([MAX_TIMER_MS]);
      expect(fn).toHaveBeenCalledTimes(1); // an overflowing timer would have fired after 1 ms
      await jest.advanceTimersByTimeAsync(MAX_TIMER_MS);
      expect(fn).toHaveBeenCalledTimes(2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('refuses maxRetryAfterMs: Infinity and any value a timer cannot hold', () => {
    expect(() => retryable({ maxRetryAfterMs: Number.POSITIVE_INFINITY })).toThrow(RangeError);
    expect(() => retryable({ maxRetryAfterMs: Number.POSITIVE_INFINITY })).toThrow(
      /maxRetryAfterMs/,
    );
    expect(() => retryable({ maxRetryAfterMs: MAX_TIMER_MS + 1 })).toThrow(/maxRetryAfterMs/);
    expect(retryable({ maxRetryAfterMs: MAX_TIMER_MS })(async () => 1).retry.maxRetryAfterMs).toBe(
      MAX_TIMER_MS,
    );
  });

  it('refuses minDelayMs / maxDelayMs a timer cannot hold (they would fire after 1 ms)', () => {
    expect(() => retryable({ maxDelayMs: MAX_TIMER_MS + 1 })).toThrow(/maxDelayMs/);
    expect(() =>
      retryable({ minDelayMs: Number.POSITIVE_INFINITY, maxDelayMs: Number.POSITIVE_INFINITY }),
    ).toThrow(/minDelayMs/);
  });

  it('refuses a budget with minRetriesPerSecond: Infinity (it lets every retry through)', () => {
    expect(() => new RetryBudget({ minRetriesPerSecond: Number.POSITIVE_INFINITY })).toThrow(
      RangeError,
    );
    expect(() => new RetryBudget({ minRetriesPerSecond: Number.POSITIVE_INFINITY })).toThrow(
      /minRetriesPerSecond/,
    );
    expect(() => new RetryBudget({ maxTokens: Number.POSITIVE_INFINITY })).toThrow(/maxTokens/);
  });
});
