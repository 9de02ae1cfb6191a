import { type CallContext, callContext, retryable, timeout } from '@resil/retry';
import asyncRetry from 'async-retry';
import { batchOf, compareNs, record, type Settings } from '../harness';

const CASE = '4. retry, success path';

export async function retrySuccess(settings: Settings): Promise<void> {
  const BATCH = 100;
  const ok = async () => 1;
  const { default: pRetry } = await import('p-retry');
  const ours = retryable({ onRetry: () => {} })(ok);
  const medians = await compareNs(
    CASE,
    {
      'direct call (no retry)': batchOf(BATCH, ok),
      '@resil/retry': batchOf(BATCH, ours),
      'async-retry (raw)': batchOf(BATCH, () => asyncRetry(ok, { retries: 2, minTimeout: 2000 })),
      'p-retry 6 (raw)': batchOf(BATCH, () => pRetry(ok, { retries: 2, minTimeout: 2000 })),
    },
    settings,
    { batch: BATCH, versus: 'async-retry (raw)' },
  );
  const bare = medians['direct call (no retry)'] ?? 0;
  const added = (name: string) => Math.max(0, (medians[name] ?? 0) - bare);
  const base = added('async-retry (raw)');
  for (const name of ['@resil/retry', 'async-retry (raw)', 'p-retry 6 (raw)']) {
    const row = record({
      case: CASE,
      subject: name,
      metric: 'added over a direct call',
      unit: 'ns',
      better: 'lower',
      values: [added(name)],
    });
    if (name !== 'async-retry (raw)') {
      row.versus = 'async-retry (raw)';
      row.ratio = base ? added(name) / base : Number.NaN;
    }
  }
  await retryCancelled(settings);
}

const CANCELLED = '4b. retry, a cancelled attempt';

/**
 * The cost of a cancelled attempt (#19): the caller aborts while the attempt runs; the function
 * stops when its signal fires (as `fetch(url, { signal })` does) and the call rejects. Measured
 * per call, all of it: the signal plumbing, the abort and the rejection. Run by `retrySuccess`
 * (bench/src/run.ts calls that one for `--only=retry`).
 */
export async function retryCancelled(settings: Settings): Promise<void> {
  const BATCH = 100;
  const { default: pRetry } = await import('p-retry');
  const cockatiel = await import('cockatiel');
  /** Pending until `signal` fires, then rejects with its reason (a cooperative function). */
  const stopsOn = (signal: AbortSignal | undefined) =>
    new Promise<number>((_, reject) => {
      signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  const ours = retryable({ logger: false, minDelayMs: 0, maxDelayMs: 0 })((ctx?: CallContext) =>
    stopsOn(ctx?.signal),
  );
  const timed = timeout(60_000)((ctx?: CallContext) => stopsOn(ctx?.signal));
  const cockatielRetry = cockatiel.retry(cockatiel.handleAll, { maxAttempts: 2 });
  /** Starts `run(signal)`, aborts it on the next microtask, awaits the rejection. */
  const cancel = (run: (signal: AbortSignal) => Promise<unknown>) => async () => {
    const ac = new AbortController();
    const p = run(ac.signal).catch(() => undefined);
    await Promise.resolve();
    ac.abort();
    await p;
  };
  const medians = await compareNs(
    CANCELLED,
    {
      'direct call (AbortController only)': batchOf(
        BATCH,
        cancel((s) => stopsOn(s)),
      ),
      '@resil/retry': batchOf(
        BATCH,
        cancel((s) => ours(callContext({ signal: s }))),
      ),
      '@resil/retry timeout()': batchOf(
        BATCH,
        cancel((s) => timed(callContext({ signal: s }))),
      ),
      'p-retry 6 (signal)': batchOf(
        BATCH,
        cancel((s) => pRetry(() => stopsOn(s), { retries: 2, minTimeout: 0, signal: s })),
      ),
      'cockatiel 3 (signal)': batchOf(
        BATCH,
        cancel((s) => cockatielRetry.execute(({ signal }) => stopsOn(signal), s)),
      ),
    },
    settings,
    { batch: BATCH, versus: 'p-retry 6 (signal)' },
  );
  const bare = medians['direct call (AbortController only)'] ?? 0;
  const added = (name: string) => Math.max(0, (medians[name] ?? 0) - bare);
  const base = added('p-retry 6 (signal)');
  for (const name of [
    '@resil/retry',
    '@resil/retry timeout()',
    'p-retry 6 (signal)',
    'cockatiel 3 (signal)',
  ]) {
    const row = record({
      case: CANCELLED,
      subject: name,
      metric: 'added over a direct cancelled call',
      unit: 'ns',
      better: 'lower',
      values: [added(name)],
    });
    if (name !== 'p-retry 6 (signal)') {
      row.versus = 'p-retry 6 (signal)';
      row.ratio = base ? added(name) / base : Number.NaN;
    }
  }
}
