import { createRequire } from 'node:module';
import { createRateLimiter, rateLimit } from '@resil/ratelimit';
import { maxInWindow } from '@resil/testkit';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterQueue, RateLimiterRedis } from 'rate-limiter-flexible';
import { batchOf, collect, compareNs, record, relate, type Settings } from '../harness';

const CASE_SMOOTH = '6. outbound limiter at saturation (limit 20/s, 12 callers)';
const CASE_COST = '5. rate limit on Redis, per call';

async function saturate(acquire: () => Promise<unknown>, runMs: number): Promise<number[]> {
  const grants: number[] = [];
  const end = Date.now() + runMs;
  await Promise.all(
    Array.from({ length: 12 }, async () => {
      while (Date.now() < end) {
        try {
          await acquire();
          if (Date.now() < end) grants.push(Date.now());
        } catch {
          // a queue that refuses (full or timed out) counts nothing
        }
      }
    }),
  );
  return grants;
}

export async function outboundSmoothness(
  settings: Settings,
  redis: Redis,
  prefix: string,
): Promise<void> {
  const runMs = settings.quick ? 2_000 : 3_000;
  const rounds = settings.quick ? 1 : 3;
  const subjects: Record<string, () => () => Promise<unknown>> = {
    '@resil/ratelimit (Redis, GCRA)': () => {
      const l = createRateLimiter({
        name: `bench.smooth.${Math.random()}`,
        points: 20,
        durationMs: 1000,
        redis,
        keyPrefix: prefix,
        logger: false,
      });
      return () => l.acquire({ timeoutMs: 5_000 });
    },
    '@resil/ratelimit (memory)': () => {
      const l = createRateLimiter({
        name: 'bench.smooth.mem',
        points: 20,
        durationMs: 1000,
        logger: false,
      });
      return () => l.acquire({ timeoutMs: 5_000 });
    },
    'rate-limiter-flexible RateLimiterQueue (Redis)': () => {
      const q = new RateLimiterQueue(
        new RateLimiterRedis({
          storeClient: redis,
          points: 20,
          duration: 1,
          keyPrefix: `${prefix}rlfq${Math.random()}`,
        }),
        { maxQueueSize: 1000 },
      );
      return () => q.removeTokens(1);
    },
    'rate-limiter-flexible RateLimiterQueue (memory)': () => {
      const q = new RateLimiterQueue(new RateLimiterMemory({ points: 20, duration: 1 }), {
        maxQueueSize: 1000,
      });
      return () => q.removeTokens(1);
    },
  };
  const worst: Record<string, number[]> = {};
  const burst: Record<string, number[]> = {};
  const rate: Record<string, number[]> = {};
  for (let round = 0; round < rounds; round++) {
    for (const [name, make] of Object.entries(subjects)) {
      const grants = await saturate(make(), runMs);
      collect(worst, name, maxInWindow(grants, 1000));
      collect(burst, name, maxInWindow(grants, 100));
      collect(rate, name, grants.length / (runMs / 1000));
    }
  }
  for (const name of Object.keys(subjects)) {
    record({
      case: CASE_SMOOTH,
      subject: name,
      metric: 'most grants in any sliding second (limit 20)',
      unit: 'grants',
      better: 'lower',
      values: worst[name] as number[],
    });
    record({
      case: CASE_SMOOTH,
      subject: name,
      metric: 'most grants in any 100 ms (even spacing: 2)',
      unit: 'grants',
      better: 'lower',
      values: burst[name] as number[],
    });
    record({
      case: CASE_SMOOTH,
      subject: name,
      metric: 'grants per second achieved',
      unit: '/s',
      better: 'higher',
      values: rate[name] as number[],
    });
  }
  relate(
    CASE_SMOOTH,
    'most grants in any sliding second (limit 20)',
    'rate-limiter-flexible RateLimiterQueue (Redis)',
  );
  relate(
    CASE_SMOOTH,
    'grants per second achieved',
    'rate-limiter-flexible RateLimiterQueue (Redis)',
  );
}

export async function limiterCost(settings: Settings, redis: Redis, prefix: string): Promise<void> {
  const BATCH = 20;
  const ours = createRateLimiter({
    name: 'bench.cost',
    points: 1_000_000_000,
    durationMs: 1000,
    burst: 1_000_000,
    redis,
    keyPrefix: prefix,
    logger: false,
  });
  const rlf = new RateLimiterRedis({
    storeClient: redis,
    points: 1_000_000_000,
    duration: 60,
    keyPrefix: `${prefix}rlfcost`,
  });
  const mw = rateLimit({
    points: 1_000_000_000,
    durationMs: 60_000,
    redis,
    keyPrefix: `${prefix}mw:`,
    logger: false,
  });
  const req = { method: 'GET', headers: {}, ip: '10.0.0.1', app: { get: () => false } } as never;
  const res = { setHeader: () => undefined, getHeader: () => undefined } as never;
  const inbound = () => mw(req, res, () => undefined) as unknown as Promise<void>;
  await ours.tryAcquire();
  await rlf.consume('k');
  await inbound();
  const subjects: Record<string, () => Promise<unknown>> = {
    'raw PING (ioredis)': () => redis.ping(),
    'rate-limiter-flexible consume (RateLimiterRedis, raw)': () => rlf.consume('k'),
    '@resil/ratelimit rateLimit middleware (inbound)': inbound,
    '@resil/ratelimit tryAcquire (outbound, GCRA script)': () => ours.tryAcquire(),
  };
  // another build of the middleware in the same run (before/after): a folder with index.js, e.g.
  // an esbuild bundle of an older commit's src (see packages/ratelimit/bench/redis-ab.cjs)
  const baseline = process.env.RESIL_BENCH_RATELIMIT_BASELINE;
  if (baseline) {
    const other = createRequire(import.meta.url)(`${baseline}/index.js`) as {
      rateLimit: typeof rateLimit;
    };
    const mwB = other.rateLimit({
      points: 1_000_000_000,
      durationMs: 60_000,
      redis,
      keyPrefix: `${prefix}mwb:`,
      logger: false,
    });
    const inboundB = () => mwB(req, res, () => undefined) as unknown as Promise<void>;
    await inboundB();
    subjects[`rateLimit middleware, baseline build (${baseline})`] = inboundB;
  }
  for (const inFlight of [1, 100]) {
    const metric = `time per call, ${inFlight} in flight`;
    const run = (fn: () => Promise<unknown>) =>
      inFlight === 1
        ? batchOf(BATCH, fn)
        : async () => {
            await Promise.all(Array.from({ length: inFlight }, fn));
          };
    await compareNs(
      CASE_COST,
      Object.fromEntries(Object.entries(subjects).map(([k, fn]) => [k, run(fn)])),
      settings,
      {
        batch: inFlight === 1 ? BATCH : inFlight,
        metric,
        versus: 'rate-limiter-flexible consume (RateLimiterRedis, raw)',
      },
    );
  }
}
