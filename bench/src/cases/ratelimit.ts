import { fork } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { idempotency } from '@resil/idempotency';
import { createRateLimiter, rateLimit } from '@resil/ratelimit';
import { requestLogger, SafeLogger } from '@resil/safe-log';
import { sanitizeRequest, securityHeaders, validate } from '@resil/sanitize';
import { maxInWindow } from '@resil/testkit';
import autocannon from 'autocannon';
import express from 'express';
import { body } from 'express-validator';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterQueue, RateLimiterRedis } from 'rate-limiter-flexible';
import winston from 'winston';
import {
  batchOf,
  collect,
  compareNs,
  log as progress,
  record,
  relate,
  type Settings,
} from '../harness';
import { commandsByName } from '../redis';
import { NullStream } from './safe-log';

const CASE_SMOOTH = '6. outbound limiter at saturation (limit 20/s, 12 callers)';
const CASE_COST = '5. rate limit on Redis, per call';
const CASE_HTTP =
  '9. HTTP: the demo inbound stack vs bare Express (server in its own process; autocannon, 10 connections)';
const CASE_IDEM = '7. idempotency on Redis';

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
  const res = { setHeader: () => undefined } as never;
  const inbound = () => mw(req, res, () => undefined) as unknown as Promise<void>;
  await ours.tryAcquire();
  await rlf.consume('k');
  await inbound();
  const subjects = {
    'raw PING (ioredis)': () => redis.ping(),
    'rate-limiter-flexible consume (RateLimiterRedis, raw)': () => rlf.consume('k'),
    '@resil/ratelimit rateLimit middleware (inbound)': inbound,
    '@resil/ratelimit tryAcquire (outbound, GCRA script)': () => ours.tryAcquire(),
  };
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

/** The two apps of case 9, built in the server process (src/workers/http-server.ts). */
export function makeHttpApp(
  subject: 'bare' | 'stack',
  redis: Redis | undefined,
  prefix: string,
): express.Express {
  const handler: express.RequestHandler = (req, res) => {
    res.status(201).json({ ok: true, name: (req.body as { name?: string }).name });
  };
  const a = express();
  if (subject === 'bare') {
    a.post('/hospitals', express.json(), handler);
    return a;
  }
  const log = new SafeLogger('bench.http', {
    transports: [new winston.transports.Stream({ stream: new NullStream() })],
  });
  a.use(securityHeaders(), requestLogger({ logger: log }));
  a.use(
    rateLimit({
      points: 1_000_000_000,
      durationMs: 60_000,
      ...(redis ? { redis } : {}),
      keyPrefix: `${prefix}http:`,
      logger: false,
    }),
  );
  a.post(
    '/hospitals',
    express.json({ limit: '16kb' }),
    sanitizeRequest(),
    validate([
      body('name')
        .isString()
        .isLength({ min: 1, max: 200 })
        .withMessage('name: 1 to 200 characters'),
    ]),
    handler,
  );
  return a;
}

/** Starts the app of `subject` in its own process (the server gets a core; autocannon the other). */
async function serveInChild(subject: 'bare' | 'stack', redisUrl: string, prefix: string) {
  const child = fork(path.join(import.meta.dirname, '..', 'workers', 'http-server.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      BENCH_SUBJECT: subject,
      BENCH_REDIS_URL: redisUrl,
      BENCH_PREFIX: prefix,
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`http server exited (${code})`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export async function inboundHttp(
  settings: Settings,
  redisUrl: string,
  prefix: string,
): Promise<void> {
  const duration = settings.quick ? 2 : 5;
  const rounds = settings.quick ? 1 : 3;
  const subjects = {
    'bare Express 5 (express.json + handler)': 'bare',
    'demo inbound stack: securityHeaders, requestLogger, rateLimit (Redis), sanitizeRequest, validate':
      'stack',
  } as const;
  const rps: Record<string, number[]> = {};
  const p99: Record<string, number[]> = {};
  for (let round = 0; round < rounds; round++) {
    const order = Object.entries(subjects);
    if (round % 2) order.reverse();
    for (const [name, subject] of order) {
      const s = await serveInChild(subject, redisUrl, prefix);
      const result = await autocannon({
        url: `${s.url}/hospitals`,
        connections: 10,
        duration,
        method: 'POST',
        body: JSON.stringify({ name: "St. Mary's General", city: 'Houston' }),
        headers: { 'content-type': 'application/json' },
      });
      await s.close();
      if (result.non2xx > 0) progress(`  ${name}: ${result.non2xx} non-2xx answers`);
      collect(rps, name, result.requests.average);
      collect(p99, name, result.latency.p99);
    }
  }
  for (const name of Object.keys(subjects)) {
    record({
      case: CASE_HTTP,
      subject: name,
      metric: 'requests per second',
      unit: 'req/s',
      better: 'higher',
      values: rps[name] as number[],
    });
    record({
      case: CASE_HTTP,
      subject: name,
      metric: 'p99 latency',
      unit: 'ms',
      better: 'lower',
      values: p99[name] as number[],
    });
  }
  relate(CASE_HTTP, 'requests per second', 'bare Express 5 (express.json + handler)');
  relate(CASE_HTTP, 'p99 latency', 'bare Express 5 (express.json + handler)');
}

export async function idempotencyCost(
  settings: Settings,
  redis: Redis,
  prefix: string,
): Promise<void> {
  const BATCH = 10;
  let seq = 0;
  const a = express();
  a.use(express.json());
  a.post('/plain', (_req, res) => {
    res.status(201).json({ ok: true });
  });
  a.post(
    '/idem',
    idempotency({ redis, keyPrefix: `${prefix}idemcost:`, ttlMs: 600_000, logger: false }),
    (_req, res) => {
      res.status(201).json({ ok: true });
    },
  );
  const s = await serve(a);
  const post = (path: string, key?: string) =>
    fetch(`${s.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
      body: '{"name":"St. Mary"}',
    }).then((r) => r.arrayBuffer());
  await post('/idem', 'replayed');
  try {
    await compareNs(
      CASE_IDEM,
      {
        'POST without idempotency': batchOf(BATCH, () => post('/plain')),
        'POST, first request (fresh key)': batchOf(BATCH, () => post('/idem', `fresh-${++seq}`)),
        'POST, replay (same key)': batchOf(BATCH, () => post('/idem', 'replayed')),
      },
      settings,
      {
        batch: BATCH,
        metric: 'time per request (HTTP on loopback)',
        versus: 'POST without idempotency',
      },
    );
    // Round trips: the scripts called (commands run inside a script are not round trips).
    const trips = (by: Record<string, number>) =>
      (by.evalsha ?? 0) + (by.eval ?? 0) + (by.script ?? 0);
    const firsts = await commandsByName(redis, async () => {
      for (let i = 0; i < 100; i++) await post('/idem', `count-${i}`);
    });
    const replays = await commandsByName(redis, async () => {
      for (let i = 0; i < 100; i++) await post('/idem', 'replayed');
    });
    for (const [subject, by] of [
      ['POST, first request (fresh key)', firsts],
      ['POST, replay (same key)', replays],
    ] as const) {
      record({
        case: CASE_IDEM,
        subject,
        metric: 'Redis round trips (scripts) per request',
        unit: 'round trips',
        better: 'lower',
        values: [trips(by) / 100],
      });
      record({
        case: CASE_IDEM,
        subject,
        metric: 'Redis commands per request, those inside scripts included',
        unit: 'commands',
        better: 'lower',
        values: [Object.values(by).reduce((a, b) => a + b, 0) / 100],
      });
    }
  } finally {
    await s.close();
  }
}
