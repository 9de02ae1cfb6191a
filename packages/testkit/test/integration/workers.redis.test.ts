import path from 'node:path';
import { runWorkers, startWorkers, useRedis } from '../../src/index';

const r = useRedis('testkit-workers');
const script = path.join(__dirname, '..', 'fixtures', 'incr-worker.ts');

describe('runWorkers', () => {
  // up to 4 processes start (TypeScript loaded in each) on a shared 2-core machine: Jest's default
  // 30 s per test is less than runWorkers' own 60 s limit
  jest.setTimeout(90_000);
  it('runs N real processes against one Redis and the shared total is exact', async () => {
    const key = `${r.prefix}counter`;
    const results = await runWorkers<
      { key: string; times: number },
      { sawFirst: number; sawLast: number }
    >({
      script,
      count: 4,
      input: { key, times: 500 },
    });

    expect(results).toHaveLength(4);
    expect(Number(await r.admin.get(key))).toBe(2000);
    // Each worker saw values from the shared counter, not a private one.
    expect(Math.max(...results.map((x) => x.sawLast))).toBe(2000);
    expect(new Set(results.map((x) => x.sawFirst)).size).toBe(4);
  });

  it('reports a killed worker by its signal instead of hanging', async () => {
    const started = startWorkers({ script, count: 2, input: { key: `${r.prefix}k2`, times: 1e9 } });
    await started.ready;
    started.go();
    started.kill(0, 'SIGKILL');
    started.kill(1, 'SIGKILL');
    const outcomes = await started.done;
    expect(outcomes.map((o) => o.signal)).toEqual(['SIGKILL', 'SIGKILL']);
  });
});
