import { circuitBreaker } from '@resil/breaker';
import { ConsecutiveBreaker, circuitBreaker as cockatielBreaker, handleAll } from 'cockatiel';
import type { Redis } from 'ioredis';
import CircuitBreaker from 'opossum';
import { batchOf, collect, compareNs, log, record, relate, type Settings } from '../harness';
import { commandsDuring } from '../redis';

const CASE1 = '1. breaker, closed, success';
const CASE2 = '2. breaker, one failure after N successes';
const CASE3 = '3. 10,000 idle breakers';
const ok = async () => 1;
const boom = async () => {
  throw Object.assign(new Error('upstream down'), { status: 503 });
};
const LEAN = { timeout: false as const, rollingPercentilesEnabled: false, enableSnapshots: false };

export async function closedPath(settings: Settings, redis: Redis, prefix: string): Promise<void> {
  const BATCH = 100;
  const oursMemory = circuitBreaker({ name: 'bench.memory' })(ok);
  const oursRedis = circuitBreaker({ name: 'bench.redis', redis, keyPrefix: prefix })(ok);
  const opDefaults = new CircuitBreaker(ok);
  const opLean = new CircuitBreaker(ok, LEAN);
  const cockatiel = cockatielBreaker(handleAll, {
    halfOpenAfter: 60_000,
    breaker: new ConsecutiveBreaker(5),
  });
  await oursRedis(); // connects and loads the state before measuring
  await compareNs(
    CASE1,
    {
      'direct call (no breaker)': batchOf(BATCH, ok),
      '@resil/breaker (memory)': batchOf(BATCH, oursMemory),
      '@resil/breaker (Redis-shared)': batchOf(BATCH, oursRedis),
      'opossum (defaults)': batchOf(BATCH, () => opDefaults.fire()),
      'opossum (lean: no timeout, no percentiles, no snapshots)': batchOf(BATCH, () =>
        opLean.fire(),
      ),
      'cockatiel 3 (consecutive)': batchOf(BATCH, () => cockatiel.execute(ok)),
    },
    settings,
    { batch: BATCH, versus: 'opossum (lean: no timeout, no percentiles, no snapshots)' },
  );
  const calls = 10_000;
  const commands = await commandsDuring(redis, async () => {
    for (let i = 0; i < calls; i++) await oursRedis();
  });
  record({
    case: CASE1,
    subject: '@resil/breaker (Redis-shared)',
    metric: 'Redis commands per 10,000 successes',
    unit: 'commands',
    better: 'lower',
    values: [commands],
  });
  for (const b of [opDefaults, opLean]) b.shutdown();
  await oursMemory.breaker.close();
  await oursRedis.breaker.close();
}

export async function failureCost(settings: Settings): Promise<void> {
  const { Bench } = await import('tinybench');
  const sizes = settings.quick ? [1_000, 10_000] : [1_000, 10_000, 100_000];
  for (const n of sizes) {
    const values: Record<string, number[]> = {
      '@resil/breaker (memory)': [],
      'opossum (defaults)': [],
    };
    for (let round = 0; round < settings.rounds; round++) {
      const bench = new Bench({
        iterations: settings.quick ? 3 : 8,
        time: 0,
        warmup: false,
        throws: true,
      });
      let ours: ReturnType<ReturnType<typeof circuitBreaker>> | undefined;
      let opossum: CircuitBreaker | undefined;
      let seq = 0;
      const tasks: Array<[string, () => Promise<void>, () => Promise<void>, () => void]> = [
        [
          '@resil/breaker (memory)',
          async () => {
            const fn = circuitBreaker({ name: `bench.fail.${seq++}`, failureThreshold: 1_000_000 })(
              async (fail: boolean) => {
                if (fail) return boom();
                return 1;
              },
            );
            for (let i = 0; i < n; i++) await fn(false);
            ours = fn as never;
          },
          async () => {
            await (ours as unknown as (fail: boolean) => Promise<unknown>)(true).catch(() => {});
          },
          () => void ours?.breaker.close(),
        ],
        [
          'opossum (defaults)',
          async () => {
            opossum = new CircuitBreaker(async (fail: boolean) => {
              if (fail) return boom();
              return 1;
            });
            for (let i = 0; i < n; i++) await opossum.fire(false);
          },
          async () => {
            await opossum?.fire(true).catch(() => {});
          },
          () => opossum?.shutdown(),
        ],
      ];
      const order = round % 2 ? [...tasks].reverse() : tasks;
      for (const [name, setup, fn, teardown] of order) {
        bench.add(name, fn, { beforeEach: setup, afterEach: teardown });
      }
      await bench.run();
      for (const task of bench.tasks) {
        if (task.result.state !== 'completed')
          throw new Error(`${CASE2}/${task.name}: ${task.result.state}`);
        values[task.name]?.push(task.result.latency.mean * 1000);
      }
    }
    const metric = `one failing call after ${n.toLocaleString('en')} successes`;
    for (const [subject, v] of Object.entries(values)) {
      record({ case: CASE2, subject, metric, unit: 'µs', better: 'lower', values: v });
    }
    relate(CASE2, metric, 'opossum (defaults)');
  }
}

export async function idleBreakers(settings: Settings): Promise<void> {
  const count = 10_000;
  const windowMs = settings.quick ? 2_000 : 10_000;
  const gc = (globalThis as { gc?: () => void }).gc;
  const subjects: Record<string, () => { stop(): void }> = {
    '@resil/breaker (memory)': () => {
      const all = Array.from({ length: count }, (_, i) =>
        circuitBreaker({ name: `idle.${i}` })(ok),
      );
      return {
        stop: () => {
          for (const b of all) void b.breaker.close();
        },
      };
    },
    'opossum (defaults)': () => {
      const all = Array.from({ length: count }, () => new CircuitBreaker(ok));
      return {
        stop: () => {
          for (const b of all) b.shutdown();
        },
      };
    },
  };
  const cpu: Record<string, number[]> = {};
  const heap: Record<string, number[]> = {};
  const rounds = settings.quick ? 1 : 3;
  for (let round = 0; round < rounds; round++) {
    for (const [name, make] of Object.entries(subjects)) {
      gc?.();
      const heapBefore = process.memoryUsage().heapUsed;
      const made = make();
      gc?.();
      const heapAfter = process.memoryUsage().heapUsed;
      const start = process.cpuUsage();
      await new Promise((r) => setTimeout(r, windowMs));
      const used = process.cpuUsage(start);
      made.stop();
      collect(cpu, name, ((used.user + used.system) / 1000 / windowMs) * 100);
      collect(heap, name, (heapAfter - heapBefore) / 1024 / 1024);
    }
  }
  for (const name of Object.keys(subjects)) {
    record({
      case: CASE3,
      subject: name,
      metric: `CPU while idle (% of one core, ${windowMs / 1000} s)`,
      unit: '%',
      better: 'lower',
      values: cpu[name] ?? [],
    });
    record({
      case: CASE3,
      subject: name,
      metric: 'heap for 10,000 breakers',
      unit: 'MiB',
      better: 'lower',
      values: heap[name] ?? [],
    });
  }
  relate(CASE3, 'heap for 10,000 breakers', 'opossum (defaults)');
  if (!gc) log('  (run with --expose-gc for stable heap figures)');
}
