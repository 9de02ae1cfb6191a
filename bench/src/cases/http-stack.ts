import { fork } from 'node:child_process';
import path from 'node:path';
import { rateLimit } from '@resil/ratelimit';
import { requestLogger, SafeLogger } from '@resil/safe-log';
import { sanitizeRequest, securityHeaders, validate } from '@resil/sanitize';
import autocannon from 'autocannon';
import express from 'express';
import { body } from 'express-validator';
import type { Redis } from 'ioredis';
import winston from 'winston';
import { collect, log as progress, record, relate, type Settings } from '../harness';
import { NullStream } from './safe-log';

const CASE_HTTP =
  '9. HTTP: the demo inbound stack vs bare Express (server in its own process; autocannon, 10 connections)';

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
