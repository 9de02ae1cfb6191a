import { circuitBreaker } from '@resil/breaker';
import { withCallOptions } from '@resil/core';
import {
  ConsecutiveBreaker,
  circuitBreaker as cockatielBreaker,
  handleAll,
  SamplingBreaker,
} from 'cockatiel';
import type { Redis } from 'ioredis';
import CircuitBreaker from 'opossum';
import { batchOf, collect, compareNs, log, record, relate, type Settings } from '../harness';
import { commandsDuring } from '../redis';

const CASE1 = '1. breaker, closed, success';
const CASE2 = '2. breaker, one failure after N successes';
const CASE3 = '3. 10,000 idle breakers';
const CASE4 = "4. breaker, mode 'rate', closed, success";
const CASE5 = '5. breaker, a cancelled attempt';
const CASE6 = "6. mode 'rate' over 4 workers: batching error";
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
  await ratePath(settings, redis, prefix);
  await cancelledAttempt(settings);
  await batchingError(redis, prefix);
}

/** Issue #19: the closed path of the failure-rate mode, next to cockatiel's and opossum's windows. */
async function ratePath(settings: Settings, redis: Redis, prefix: string): Promise<void> {
  const BATCH = 100;
  const rate = { mode: 'rate' as const, minimumCalls: 100, failureRateThreshold: 0.5 };
  const oursMemory = circuitBreaker({ name: 'bench.rate.memory', ...rate })(ok);
  const oursRedis = circuitBreaker({ name: 'bench.rate.redis', ...rate, redis, keyPrefix: prefix })(
    ok,
  );
  const oursSlow = circuitBreaker({
    name: 'bench.rate.slow',
    ...rate,
    slowCallDurationMs: 1_000,
    redis,
    keyPrefix: prefix,
  })(ok);
  const sampling = cockatielBreaker(handleAll, {
    halfOpenAfter: 60_000,
    breaker: new SamplingBreaker({ threshold: 0.5, duration: 60_000 }),
  });
  const opRolling = new CircuitBreaker(ok, {
    timeout: false,
    errorThresholdPercentage: 50,
    volumeThreshold: 100,
    rollingCountTimeout: 60_000,
    rollingCountBuckets: 10,
    rollingPercentilesEnabled: false,
    enableSnapshots: false,
  });
  await oursRedis();
  await oursSlow();
  await compareNs(
    CASE4,
    {
      'direct call (no breaker)': batchOf(BATCH, ok),
      "@resil/breaker mode 'rate' (memory)": batchOf(BATCH, oursMemory),
      "@resil/breaker mode 'rate' (Redis-shared, batched)": batchOf(BATCH, oursRedis),
      "@resil/breaker mode 'rate' + slow calls (Redis-shared)": batchOf(BATCH, oursSlow),
      'cockatiel 3 SamplingBreaker': batchOf(BATCH, () => sampling.execute(ok)),
      'opossum rolling window (50 %, 100 calls, no timeout, no percentiles)': batchOf(BATCH, () =>
        opRolling.fire(),
      ),
    },
    settings,
    { batch: BATCH, versus: 'cockatiel 3 SamplingBreaker' },
  );
  const calls = 10_000;
  // The event loop turns every 100 calls (as a server's does between requests), so that the
  // answers of the batches are read; a loop that never yields would hold the first batch's
  // answer back and count the rest in one batch at the end.
  const commands = await commandsDuring(redis, async () => {
    for (let i = 0; i < calls; i++) {
      await oursRedis();
      if (i % 100 === 99) await new Promise((r) => setImmediate(r));
    }
    await oursRedis.breaker.flush();
  });
  record({
    case: CASE4,
    subject: "@resil/breaker mode 'rate' (Redis-shared, batched)",
    metric: 'Redis commands per 10,000 successes (flushEvery 100; inside scripts included)',
    unit: 'commands',
    better: 'lower',
    values: [commands],
  });
  opRolling.shutdown();
  await oursMemory.breaker.close();
  await oursRedis.breaker.close();
  await oursSlow.breaker.close();
}

/** Issue #19: what a call the caller aborts costs (the signal reaches the function). */
async function cancelledAttempt(settings: Settings): Promise<void> {
  const BATCH = 100;
  const abortable = (ctx: { signal: AbortSignal }) =>
    new Promise<number>((resolve, reject) => {
      if (ctx.signal.aborted) return reject(ctx.signal.reason);
      ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
      queueMicrotask(() => resolve(1)); // settles on its own too, unless aborted first
    });
  const ours = circuitBreaker({ name: 'bench.cancel', timeoutMs: 10_000 })(abortable);
  const oursNoTimeout = circuitBreaker({ name: 'bench.cancel.plain' })(abortable);
  const cockatiel = cockatielBreaker(handleAll, {
    halfOpenAfter: 60_000,
    breaker: new ConsecutiveBreaker(5),
  });
  const cancel = (run: (signal: AbortSignal) => Promise<unknown>) => async () => {
    const c = new AbortController();
    const p = run(c.signal);
    c.abort();
    await p.catch(() => {});
  };
  const subjects: Record<string, () => Promise<unknown>> = {
    'direct call, aborted': cancel((signal) => abortable({ signal })),
    '@resil/breaker with timeoutMs, aborted (withCallOptions)': cancel((signal) =>
      withCallOptions(ours as never, { signal })(),
    ),
    '@resil/breaker without timeoutMs, aborted (withCallOptions)': cancel((signal) =>
      withCallOptions(oursNoTimeout as never, { signal })(),
    ),
    '@resil/breaker with timeoutMs, success': () => (ours as unknown as () => Promise<number>)(),
    'cockatiel 3, aborted': cancel((signal) =>
      cockatiel.execute(({ signal: s }) => abortable({ signal: s }), signal),
    ),
  };
  await compareNs(
    CASE5,
    Object.fromEntries(Object.entries(subjects).map(([k, f]) => [k, batchOf(BATCH, f)])),
    settings,
    { batch: BATCH, versus: 'cockatiel 3, aborted' },
  );
  if (ours.breaker.stats.failures !== 0) throw new Error(`${CASE5}: a cancelled call counted`);
  await ours.breaker.close();
  await oursNoTimeout.breaker.close();
}

/**
 * Issue #19: how far the batched counts of 4 workers (4 clients, one circuit each, in this
 * process) move the decision. Each worker first makes `successes` successful calls (below
 * flushEvery: nothing sent yet), then worker 0 alone fails until the circuit opens. Exact counting
 * opens at the failure that brings the fleet's rate to 50 %; batched counting sees only worker
 * 0's successes (the others' are still in their batches) and opens earlier.
 */
async function batchingError(redis: Redis, prefix: string): Promise<void> {
  const W = 4;
  for (const successes of [0, 25, 99]) {
    const name = `bench.rate.error.${successes}`;
    const clients = Array.from({ length: W }, () => redis.duplicate());
    const workers = clients.map((c, i) =>
      circuitBreaker({
        name,
        mode: 'rate',
        minimumCalls: 20,
        failureRateThreshold: 0.5,
        flushEvery: 100,
        flushIntervalMs: 60_000,
        redis: c,
        keyPrefix: prefix,
        workerId: `w${i}`,
        logger: false,
      })(async (fail: unknown) => {
        if (fail === true) throw Object.assign(new Error('down'), { status: 503 });
        return 1;
      }),
    );
    for (const w of workers) await w.breaker.ready();
    for (const w of workers) for (let i = 0; i < successes; i++) await w(false);
    let failures = 0;
    while (workers[0]?.breaker.state === 'closed' && failures < 10_000) {
      failures++;
      await workers[0]?.(true).catch(() => {});
    }
    // exact: the smallest F with F >= 0.5 * (W * successes + F) and W * successes + F >= 20
    let exact = 0;
    while (!(exact >= 0.5 * (W * successes + exact) && W * successes + exact >= 20)) exact++;
    record({
      case: CASE6,
      subject: `4 workers × ${successes} unflushed successes`,
      metric: 'failures until open (batched − exact: < 0 is earlier)',
      unit: 'calls',
      better: 'lower',
      values: [failures - exact],
    });
    log(`  ${successes} successes per worker: opened after ${failures} failures (exact: ${exact})`);
    for (const w of workers) await w.breaker.close();
    for (const c of clients) c.disconnect();
  }
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
