import { noopLogger } from '@resil/core';
import { attemptsOf, parseRetryAfter, RetryBudget, type RetryEvent, retryable } from '../../src';
import { describe as describeError } from '../../src/classify';
import { settle } from '../settle';

const httpError = (status: number, headers?: Record<string, string>) =>
  Object.assign(new Error(`HTTP ${status}`), { status, ...(headers ? { headers } : {}) });

describe('parseRetryAfter names', () => {
  it.each(Array.from({ length: 12 }, (_, m) => m))('reads month %d by its name', (m) => {
    const at = Date.UTC(2026, m, 15, 8, 30, 0);
    const text = new Date(at).toUTCString();
    expect(parseRetryAfter(text, at - 5000)).toBe(5000);
  });

  it.each(Array.from({ length: 7 }, (_, d) => d))('reads day name %d', (d) => {
    const at = Date.UTC(2026, 1, 1 + d, 0, 0, 7);
    const text = new Date(at).toUTCString();
    expect(parseRetryAfter(text, at - 7000)).toBe(7000);
  });
});

describe('describe (the log cause): the code and name shapes', () => {
  it.each([
    [{ code: 'E2BIG' }, 'E2BIG'],
    [{ code: 'x ECONNRESET' }, 'an error'],
    [{ code: 'ECONNRESET x' }, 'an error'],
    [{ code: 'econnreset' }, 'an error'],
    [{ code: 'E-PIPE' }, 'an error'],
    [{ cause: { code: 'E2BIG' } }, 'E2BIG'],
    [{ cause: { code: 'x EPIPE' } }, 'an error'],
    [{ cause: { code: 'EPIPE x' } }, 'an error'],
    [{ cause: { code: 'A' } }, 'an error'],
    [{ cause: { code: 'AB' } }, 'AB'],
    [{ cause: { code: 'A'.repeat(40) } }, 'A'.repeat(40)],
    [{ cause: { code: 'A'.repeat(41) } }, 'an error'],
    [{ cause: { code: 'epipe' } }, 'an error'],
    [{ cause: { code: 'E_P' } }, 'E_P'],
    [{ cause: 'EPIPE' }, 'an error'],
    [{ name: 'E' }, 'E'],
    [{ name: 'x Error' }, 'an error'],
    [{ name: 'Error1' }, 'an error'],
    [{ name: 'error' }, 'error'],
    [{ name: 'N'.repeat(40) }, 'N'.repeat(40)],
    [{ name: 5 }, 'an error'],
    [{ name: ['TypeError'] }, 'an error'], // not a string, though its text would pass
    [{ code: 5, name: 'TypeError' }, 'TypeError'],
    [{ code: 503 }, 'an error'], // a number that would match once made a string
    [{ code: ['EPIPE'] }, 'an error'],
    [{ cause: { code: 503 } }, 'an error'],
    [{ cause: { code: ['EPIPE'] } }, 'an error'],
  ])('%j -> %j', (err, expected) => {
    expect(describeError(err)).toBe(expected);
  });
});

describe('retryable edges', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('a Retry-After exactly at maxRetryAfterMs is honoured', async () => {
    const events: RetryEvent[] = [];
    const fn = jest.fn(async () => {
      throw httpError(503, { 'retry-after': '5' });
    });
    await settle(
      retryable({
        logger: false,
        maxAttempts: 2,
        maxRetryAfterMs: 5000,
        onRetry: (e) => events.push(e),
      })(fn)(),
    );
    expect(fn).toHaveBeenCalledTimes(2);
    expect(events.map((e) => e.delayMs)).toEqual([5000]);
  });

  it('an abort during the wait marks the attempts on the error and reports aborted', async () => {
    const ac = new AbortController();
    const err = httpError(503);
    const gaveUp: string[] = [];
    const out = await settle(
      retryable({
        logger: false,
        signal: ac.signal,
        onRetry: () => ac.abort(new Error('stop')),
        onGiveUp: (e) => gaveUp.push(`${e.reason}:${e.attempts}`),
      })(async () => {
        throw err;
      })(),
    );
    expect((out.error as Error).message).toBe('stop');
    expect(attemptsOf(err)).toBe(1);
    expect(gaveUp).toEqual(['aborted:1']);
  });

  it('logs a spent budget once per spell (warn), retries at info, through the given logger', async () => {
    const lines: Array<[string, string, unknown]> = [];
    const logger = {
      debug: (m: string, meta?: unknown) => lines.push(['debug', m, meta]),
      info: (m: string, meta?: unknown) => lines.push(['info', m, meta]),
      warn: (m: string, meta?: unknown) => lines.push(['warn', m, meta]),
      error: (m: string, meta?: unknown) => lines.push(['error', m, meta]),
    };
    let now = 0;
    const budget = new RetryBudget({
      ratio: 0,
      minRetriesPerSecond: 1,
      maxTokens: 1,
      clock: () => now,
    });
    const make = () =>
      retryable({
        minDelayMs: 1000,
        maxDelayMs: 1000,
        jitter: 'none',
        maxAttempts: 2,
        budget,
        logger,
      })(async function load() {
        throw httpError(503);
      });
    await settle(make()()); // the one token: a retry
    await settle(make()()); // spent: logged
    await settle(make()()); // still spent: not logged again
    now += 1000; // one token back
    await settle(make()()); // a retry
    await settle(make()()); // spent again: logged again
    expect(lines).toEqual([
      [
        'info',
        'retrying load in 1.0 s after HTTP 503 (attempt 1 of 2)',
        { name: 'load', attempt: 1, maxAttempts: 2, delayMs: 1000 },
      ],
      ['warn', 'retry budget spent: load not retried', { name: 'load', event: 'budget-exhausted' }],
      [
        'info',
        'retrying load in 1.0 s after HTTP 503 (attempt 1 of 2)',
        { name: 'load', attempt: 1, maxAttempts: 2, delayMs: 1000 },
      ],
      ['warn', 'retry budget spent: load not retried', { name: 'load', event: 'budget-exhausted' }],
    ]);
  });

  it('logs nothing with logger: false, and a throwing warn never changes the outcome', async () => {
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const empty = () => new RetryBudget({ ratio: 0, minRetriesPerSecond: 0, maxTokens: 1 });
    const err = httpError(503);
    const out = await settle(
      retryable({ logger: false, minDelayMs: 1, maxDelayMs: 1, maxAttempts: 2, budget: empty() })(
        async () => {
          throw err;
        },
      )(),
    );
    expect(out.error).toBe(err);
    expect(write).not.toHaveBeenCalled();
    const warn = jest.fn(() => {
      throw new Error('log');
    });
    const again = await settle(
      retryable({ logger: { ...noopLogger, warn }, maxAttempts: 2, budget: empty() })(async () => {
        throw err;
      })(),
    );
    expect(again.error).toBe(err);
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('refuses a logger without the four methods, naming the option', () => {
    expect(() => retryable({ logger: { info() {} } as never })).toThrow(
      new TypeError('retryable: logger must have debug, info, warn and error methods, or be false'),
    );
  });

  it('the wrapper name can be redefined (configurable), the policy cannot be replaced', () => {
    const f = retryable({ logger: false })(async function named() {
      return 1;
    });
    expect(Object.getOwnPropertyDescriptor(f, 'name')).toMatchObject({
      value: 'named',
      configurable: true,
    });
    expect(() => {
      (f as { retry: unknown }).retry = {};
    }).toThrow(TypeError);
  });
});
