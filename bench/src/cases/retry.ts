import { retryable } from '@resil/retry';
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
}
