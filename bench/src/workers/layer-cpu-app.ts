// The `stack` row of case 9 (src/cases/http-stack.ts, makeHttpApp 'stack') with only some of its
// layers, in the same order and with the same options, for src/workers/layer-cpu.ts. Keep in step
// with makeHttpApp.

import { createRequire } from 'node:module';
import * as currentRateLimit from '@resil/ratelimit';
import { requestLogger, SafeLogger } from '@resil/safe-log';
import * as current from '@resil/sanitize';
import express from 'express';
import { body } from 'express-validator';
import type { Redis } from 'ioredis';
import winston from 'winston';
import { NullStream } from '../cases/safe-log';

export function makeLayerApp(layers: readonly string[], redis: Redis, prefix: string) {
  const has = (l: string) => layers.includes(l);
  // BENCH_SANITIZE: another build of @resil/sanitize (a CommonJS file), to compare two builds
  const { sanitizeRequest, securityHeaders, validate } = (
    process.env.BENCH_SANITIZE
      ? createRequire(import.meta.url)(process.env.BENCH_SANITIZE)
      : current
  ) as typeof current;
  // BENCH_RATELIMIT: another build of @resil/ratelimit (a CommonJS file), the same way
  const { rateLimit } = (
    process.env.BENCH_RATELIMIT
      ? createRequire(import.meta.url)(process.env.BENCH_RATELIMIT)
      : currentRateLimit
  ) as typeof currentRateLimit;
  const a = express();
  if (has('securityHeaders')) a.use(securityHeaders());
  if (has('requestLogger')) {
    const log = new SafeLogger('bench.http', {
      transports: [new winston.transports.Stream({ stream: new NullStream() })],
    });
    // `nocontext`: requestLogger's `context: false` (no AsyncLocalStorage store per request)
    a.use(requestLogger({ logger: log, ...(has('nocontext') ? { context: false } : {}) }));
  }
  if (has('rateLimit'))
    a.use(
      rateLimit({
        points: 1_000_000_000,
        durationMs: 60_000,
        redis,
        keyPrefix: `${prefix}http:`,
        logger: false,
      }),
    );
  const route: express.RequestHandler[] = [express.json({ limit: '16kb' })];
  if (has('sanitizeRequest')) route.push(sanitizeRequest());
  if (has('validate'))
    route.push(
      validate([
        body('name')
          .isString()
          .isLength({ min: 1, max: 200 })
          .withMessage('name: 1 to 200 characters'),
      ]),
    );
  a.post('/hospitals', ...route, (req, res) => {
    res.status(201).json({ ok: true, name: (req.body as { name?: string }).name });
  });
  return a;
}
