import type { AddressInfo } from 'node:net';
import { idempotency } from '@resil/idempotency';
import { createRateLimiter, rateLimit } from '@resil/ratelimit';
import { sanitizeRequest } from '@resil/sanitize';
import autocannon from 'autocannon';
import express from 'express';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterQueue, RateLimiterRedis } from 'rate-limiter-flexible';
import { batchOf, collect, compareNs, log, record, relate, type Settings } from '../harness';

const CASE_SMOOTH = '6. outbound limiter at saturation (limit 20/s, 12 callers)';
const CASE_COST = '7. limiter call against Redis';
const CASE_HTTP = '8. inbound HTTP (autocannon, 10 connections)';

/** Most grants in any half-open window [t, t + windowMs). */
function maxInWindow(times: number[], windowMs: number): number {
  const s = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < s.length; hi++) {
    while ((s[hi] as number) - (s[lo] as number) >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

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
  await ours.tryAcquire();
  await rlf.consume('k');
  await compareNs(
    CASE_COST,
    {
      'raw PING (ioredis)': batchOf(BATCH, () => redis.ping()),
      '@resil/ratelimit tryAcquire (outbound, GCRA script)': batchOf(BATCH, () =>
        ours.tryAcquire(),
      ),
      'rate-limiter-flexible consume (RateLimiterRedis)': batchOf(BATCH, () => rlf.consume('k')),
    },
    settings,
    { batch: BATCH, versus: 'raw PING (ioredis)' },
  );
}

async function serve(app: express.Express): Promise<{ url: string; close: () => Promise<void> }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export async function inboundHttp(settings: Settings, redis: Redis, prefix: string): Promise<void> {
  const duration = settings.quick ? 2 : 4;
  const rounds = settings.quick ? 1 : 3;
  const ok: express.RequestHandler = (_req, res) => {
    res.json({ ok: true });
  };
  const rlfRaw = new RateLimiterRedis({
    storeClient: redis,
    points: 1_000_000_000,
    duration: 60,
    keyPrefix: `${prefix}rlfhttp`,
  });
  const apps: Record<string, () => express.Express> = {
    'bare Express 5': () => {
      const a = express();
      a.get('/', ok);
      return a;
    },
    'rate-limiter-flexible raw middleware (Redis)': () => {
      const a = express();
      a.use((req, res, next) => {
        rlfRaw.consume(req.ip ?? 'x').then(
          () => next(),
          () => res.status(429).end(),
        );
      });
      a.get('/', ok);
      return a;
    },
    '@resil/ratelimit rateLimit (Redis)': () => {
      const a = express();
      a.use(
        rateLimit({
          points: 1_000_000_000,
          durationMs: 60_000,
          redis,
          keyPrefix: `${prefix}in:`,
          logger: false,
        }),
      );
      a.get('/', ok);
      return a;
    },
    'rateLimit + sanitizeRequest + idempotency (Redis), POST': () => {
      const a = express();
      let n = 0;
      a.use(
        express.json(),
        sanitizeRequest(),
        rateLimit({
          points: 1_000_000_000,
          durationMs: 60_000,
          redis,
          keyPrefix: `${prefix}in2:`,
          logger: false,
        }),
      );
      a.use((req, _res, next) => {
        req.headers['idempotency-key'] = `bench-${++n}`; // a fresh key per request: the full first-request path
        next();
      });
      a.use(idempotency({ redis, keyPrefix: `${prefix}idem:`, ttlMs: 60_000, logger: false }));
      a.post('/', (_req, res) => {
        res.status(201).json({ ok: true });
      });
      return a;
    },
  };
  const values: Record<string, number[]> = {};
  for (let round = 0; round < rounds; round++) {
    for (const [name, make] of Object.entries(apps)) {
      const s = await serve(make());
      const post = name.includes('POST');
      const result = await autocannon({
        url: `${s.url}/`,
        connections: 10,
        duration,
        ...(post
          ? {
              method: 'POST' as const,
              body: '{"name":"St. Mary"}',
              headers: { 'content-type': 'application/json' },
            }
          : {}),
      });
      await s.close();
      if (result.non2xx > 0) log(`  ${name}: ${result.non2xx} non-2xx answers`);
      collect(values, name, result.requests.average);
    }
  }
  for (const name of Object.keys(apps))
    record({
      case: CASE_HTTP,
      subject: name,
      metric: 'requests per second',
      unit: 'req/s',
      better: 'higher',
      values: values[name] as number[],
    });
  relate(CASE_HTTP, 'requests per second', 'rate-limiter-flexible raw middleware (Redis)');
}
