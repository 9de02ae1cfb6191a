import { getEventListeners } from 'node:events';
import { RetryBudget, retryable } from '../../src';

const httpError = (status: number) => Object.assign(new Error(`HTTP ${status}`), { status });

describe('retryable boundaries', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('accepts the largest safe integer for maxAttempts and maxElapsedMs', () => {
    const f = retryable({
      maxAttempts: Number.MAX_SAFE_INTEGER,
      maxElapsedMs: Number.MAX_SAFE_INTEGER,
    })(async () => 1);
    expect(f.retry.maxAttempts).toBe(Number.MAX_SAFE_INTEGER);
    expect(f.retry.maxElapsedMs).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('an abort during the wait leaves no listener on the signal', async () => {
    const ac = new AbortController();
    const p = retryable({
      logger: false,
      signal: ac.signal,
      minDelayMs: 60_000,
      maxDelayMs: 60_000,
      jitter: 'none',
    })(async () => {
      throw httpError(503);
    })();
    p.catch(() => undefined);
    await jest.advanceTimersByTimeAsync(1000);
    ac.abort(new Error('stop'));
    await jest.advanceTimersByTimeAsync(0);
    await expect(p).rejects.toThrow('stop');
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });

  it('the default logger is core codeLogger resil.retry: only a spent budget is written, as codes', async () => {
    const lines: string[] = [];
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const budget = new RetryBudget({ ratio: 0, minRetriesPerSecond: 0, maxTokens: 1 }); // empty
    const f = retryable({ minDelayMs: 10, maxDelayMs: 10, maxAttempts: 2, budget })(
      async function load() {
        throw Object.assign(httpError(503), { message: 'patient 123-45-6789' });
      },
    );
    const p = f();
    p.catch(() => undefined);
    await jest.advanceTimersByTimeAsync(1000);
    await expect(p).rejects.toThrow('patient');
    // a retry is logged at info, which the default (warn and up) does not write
    const g = retryable({ minDelayMs: 10, maxDelayMs: 10, maxAttempts: 2 })(async () => {
      throw httpError(503);
    });
    const q = g();
    q.catch(() => undefined);
    await jest.advanceTimersByTimeAsync(1000);
    await expect(q).rejects.toThrow('HTTP 503');
    jest.restoreAllMocks();
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { level: 'warn', logger: 'resil.retry', name: 'load', event: 'budget-exhausted' },
    ]);
  });
});
