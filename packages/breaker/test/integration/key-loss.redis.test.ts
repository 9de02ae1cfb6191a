import path from 'node:path';
import { describeEachRedis, startWorkers, waitFor } from '@resil/testkit';
import { circuitBreaker } from '../../src';

const script = path.join(__dirname, '../fixtures/breaker-driven-worker.ts');
let seq = 0;

type Event =
  | { t: 'ready' }
  | { t: 'state'; to: string }
  | { t: 'done'; reached: number; rejectedInRow: number };

describeEachRedis('shared circuit after its key is lost', (target) => {
  const WORKERS = 3;
  const THRESHOLD = 2;
  const CAP = 30; // calls per worker at most, so that a circuit that never opens still ends

  // Issue #16, finding 8: after a full open -> half-open -> closed cycle, the circuit's hash
  // expired or was evicted, its epoch restarted at 0, and every running worker ignored every later
  // answer (`epoch < known`): the circuit never opened again.
  for (const loss of ['DEL', 'PEXPIRE'] as const) {
    it(`lost by ${loss} after a full cycle: 3 worker processes still open it within failureThreshold + workers - 1 calls`, async () => {
      const name = `keyloss.${process.pid}.${++seq}`;
      const key = `${target.prefix}{breaker:${name}}`;
      const events: Event[][] = Array.from({ length: WORKERS }, () => []);
      const started = startWorkers<object, { states: string[] }>({
        script,
        count: WORKERS,
        input: { name, prefix: target.prefix, threshold: THRESHOLD, resetMs: 300 },
        env: target.env,
        onEvent: (i, v) => events[i]?.push(v as Event),
      });
      const all = (what: string, test: (e: Event[]) => boolean) =>
        waitFor(() => events.every(test), { timeoutMs: 15_000, what });
      try {
        await started.ready;
        started.go();
        await all('every worker to be ready', (e) => e.some((x) => x.t === 'ready'));

        // A full cycle, driven by an operator's breaker on another connection: open, then after
        // the reset timeout one probe (half-open) whose success closes the circuit.
        const operator = circuitBreaker({
          name,
          resetTimeoutMs: 300,
          redis: target.client(),
          keyPrefix: target.prefix,
          logger: false,
        })(async () => 'ok');
        try {
          await operator.breaker.ready();
          await operator.breaker.open();
          await waitFor(() => operator.breaker.nextProbeInMs === 0, {
            timeoutMs: 5_000,
            what: 'the reset timeout to pass',
          });
          await expect(operator()).resolves.toBe('ok'); // the probe
          expect(operator.breaker.state).toBe('closed');
        } finally {
          operator.breaker.shutdown();
        }
        const states = (e: Event[]) => e.flatMap((x) => (x.t === 'state' ? [x.to] : []));
        await all('every worker to see the cycle end closed', (e) => {
          const s = states(e);
          return s.includes('open') && s.at(-1) === 'closed';
        });

        // The key is lost (expiry or eviction) while the workers run.
        if (loss === 'DEL') await target.redis.del(key);
        else await target.redis.pexpire(key, 1);
        await waitFor(async () => (await target.redis.exists(key)) === 0, {
          timeoutMs: 5_000,
          what: 'the key to be gone',
        });

        // The dependency dies; every worker calls it until it fails fast.
        for (const child of started.children) child.send({ t: 'fail', cap: CAP });
        await all('every worker to finish calling', (e) => e.some((x) => x.t === 'done'));
        const done = events.map((e) => e.find((x) => x.t === 'done') as Event & { t: 'done' });
        const reached = done.reduce((n, d) => n + d.reached, 0);
        expect(reached).toBeGreaterThanOrEqual(THRESHOLD);
        expect(reached).toBeLessThanOrEqual(THRESHOLD + WORKERS - 1);
        expect(done.map((d) => d.rejectedInRow)).toEqual([5, 5, 5]); // every one fails fast
        expect(await target.redis.hget(key, 'state')).toBe('open');
      } finally {
        for (const child of started.children) if (child.connected) child.send({ t: 'exit' });
        await started.done.catch(() => started.killAll());
      }
    });
  }
});
