// Case 10: the current major versions users would pick today (issue #21), which need Node >= 22:
// opossum 10, cockatiel 4 and p-retry 9 (installed in the bench workspace as the npm aliases
// `opossum10`, `cockatiel4` and `p-retry9`; cockatiel 4 and p-retry 9 are ESM-only). They are
// imported only after the Node check, so on Node 20 this case prints one skip line and returns.
//   PATH="$(bash scripts/fetch-node.sh 22):$PATH" npm run bench -- --only=current --save=current-node22
import { circuitBreaker } from '@resil/breaker';
import { retryable } from '@resil/retry';
import { batchOf, compareNs, log, record, type Settings } from '../harness';

const CASE_BREAKER = '10a. current versions (Node >= 22): breaker, closed, success';
const CASE_RETRY = '10b. current versions (Node >= 22): retry, success path';
export const CURRENT_MIN_NODE = 22;

/** The running Node's major version. */
export function nodeMajor(version: string = process.versions.node): number {
  return Number.parseInt(version.split('.')[0] ?? '0', 10);
}

export async function currentVersions(settings: Settings): Promise<void> {
  const major = nodeMajor();
  if (major < CURRENT_MIN_NODE) {
    log(
      `  skipped: opossum 10, cockatiel 4 and p-retry 9 need Node >= ${CURRENT_MIN_NODE}, this is Node ${process.versions.node}. Run: PATH="$(bash scripts/fetch-node.sh 22):$PATH" npm run bench -- --only=current --save=current-node22`,
    );
    return;
  }
  await breakers(settings);
  await retries(settings);
}

const ok = async () => 1;

async function breakers(settings: Settings): Promise<void> {
  const BATCH = 100;
  // opossum 10 ships no types and @types/opossum describes `opossum` (9): same API.
  const OPOSSUM10: string = 'opossum10';
  const { default: Opossum } = (await import(OPOSSUM10)) as {
    default: typeof import('opossum');
  };
  const c4 = await import('cockatiel4');
  const ours = circuitBreaker({ name: 'bench.current' })(ok);
  const opDefaults = new Opossum(ok);
  const opLean = new Opossum(ok, {
    timeout: false,
    rollingPercentilesEnabled: false,
    enableSnapshots: false,
  });
  const consecutive = c4.circuitBreaker(c4.handleAll, {
    halfOpenAfter: 60_000,
    breaker: new c4.ConsecutiveBreaker(5),
  });
  const sampling = c4.circuitBreaker(c4.handleAll, {
    halfOpenAfter: 60_000,
    // opossum's default policy: open at 50 % failures over a 10 s window
    breaker: new c4.SamplingBreaker({ threshold: 0.5, duration: 10_000 }),
  });
  const versus = 'opossum 10 (lean: no timeout, no percentiles, no snapshots)';
  await compareNs(
    CASE_BREAKER,
    {
      'direct call (no breaker)': batchOf(BATCH, ok),
      '@resil/breaker (memory)': batchOf(BATCH, ours),
      'opossum 10 (defaults)': batchOf(BATCH, () => opDefaults.fire()),
      [versus]: batchOf(BATCH, () => opLean.fire()),
      'cockatiel 4 (ConsecutiveBreaker(5))': batchOf(BATCH, () => consecutive.execute(ok)),
      'cockatiel 4 (SamplingBreaker 50 % / 10 s)': batchOf(BATCH, () => sampling.execute(ok)),
    },
    settings,
    { batch: BATCH, versus },
  );
  for (const b of [opDefaults, opLean]) b.shutdown();
  await ours.breaker.close();
}

async function retries(settings: Settings): Promise<void> {
  const BATCH = 100;
  const { default: pRetry } = await import('p-retry9');
  const c4 = await import('cockatiel4');
  const ours = retryable({ onRetry: () => {} })(ok);
  const cockatielRetry = c4.retry(c4.handleAll, {
    maxAttempts: 2,
    backoff: new c4.ExponentialBackoff({ initialDelay: 2000 }),
  });
  const versus = 'p-retry 9 (raw)';
  const medians = await compareNs(
    CASE_RETRY,
    {
      'direct call (no retry)': batchOf(BATCH, ok),
      '@resil/retry': batchOf(BATCH, ours),
      [versus]: batchOf(BATCH, () => pRetry(ok, { retries: 2, minTimeout: 2000 })),
      'cockatiel 4 retry (ExponentialBackoff)': batchOf(BATCH, () => cockatielRetry.execute(ok)),
    },
    settings,
    { batch: BATCH, versus },
  );
  const bare = medians['direct call (no retry)'] ?? 0;
  const added = (name: string) => Math.max(0, (medians[name] ?? 0) - bare);
  const base = added(versus);
  for (const name of ['@resil/retry', versus, 'cockatiel 4 retry (ExponentialBackoff)']) {
    const row = record({
      case: CASE_RETRY,
      subject: name,
      metric: 'added over a direct call',
      unit: 'ns',
      better: 'lower',
      values: [added(name)],
    });
    if (name !== versus) {
      row.versus = versus;
      row.ratio = base ? added(name) / base : Number.NaN;
    }
  }
}
