import { getEventListeners } from 'node:events';
import type { SafeLogger } from '@resil/safe-log';
import { retryable } from '../../src';

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

  it('the default logger is named resil.retry', async () => {
    // Fresh modules, so this test creates the shared default logger itself (another test may
    // have created it already in this module registry).
    let fresh!: { SafeLogger: typeof SafeLogger; retryable: typeof retryable };
    jest.isolateModules(() => {
      fresh = { ...require('@resil/safe-log'), ...require('../../src/retryable') };
    });
    const info = jest.spyOn(fresh.SafeLogger.prototype, 'info').mockImplementation(() => undefined);
    const p = fresh.retryable({ minDelayMs: 10, maxDelayMs: 10, maxAttempts: 2 })(async () => {
      throw httpError(503);
    })();
    p.catch(() => undefined);
    await jest.advanceTimersByTimeAsync(1000);
    await expect(p).rejects.toThrow('HTTP 503');
    expect((info.mock.contexts[0] as SafeLogger).name).toBe('resil.retry');
  });
});
