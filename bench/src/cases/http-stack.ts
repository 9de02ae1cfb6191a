import { fork } from 'node:child_process';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import { idempotency } from '@resil/idempotency';
import { rateLimit } from '@resil/ratelimit';
import { requestLogger, SafeLogger } from '@resil/safe-log';
import {
  hasVisibleText,
  isDangerousKey,
  sanitizeInput,
  sanitizeRequest,
  securityHeaders,
  validate,
} from '@resil/sanitize';
import autocannon from 'autocannon';
import express from 'express';
import { body } from 'express-validator';
import type { Redis } from 'ioredis';
import winston from 'winston';
import { collect, log as progress, record, relate, type Settings } from '../harness';
import { NullStream } from './safe-log';

const CASE_HTTP =
  '9. HTTP: the demo inbound stack vs bare Express (server in its own process; autocannon, 10 connections)';

export type HttpSubject = 'bare' | 'stack' | 'demo';

/**
 * The layers of the demo's `POST /hospitals`, in the demo's order (apps/hospital-demo/src/front.ts,
 * routes.ts, auth.ts, guard.ts, validation.ts). The `stack` subject has the first five of the
 * original bench (securityHeaders, requestLogger, rateLimit, sanitizeRequest, validate with one
 * chain); `demo` has all of them, with the demo's own validation chains, API-key auth and
 * idempotency. Left out: the demo's Prometheus histogram and OpenTelemetry span per request.
 */
export const DEMO_LAYERS = [
  'requestId',
  'securityHeaders',
  'requestLogger',
  'rateLimit',
  'auth',
  'json',
  'sanitizeRequest',
  'validate',
  'guard',
  'idempotency',
] as const;
export type DemoLayer = (typeof DEMO_LAYERS)[number];

/** The API key every bench request presents (the demo's `Authorization: Bearer <key>`). */
export const BENCH_API_KEY = 'bench-key-0123456789abcdef0123456789abcdef';
const digest = (key: string) => createHash('sha256').update(key).digest();
/** Three tenants, as a small demo deployment has; the bench key is the last one checked. */
const API_KEYS = [
  { owner: 'tenant-a', digest: digest('tenant-a-key-0123456789abcdef0123456789') },
  { owner: 'tenant-b', digest: digest('tenant-b-key-0123456789abcdef0123456789') },
  { owner: 'bench', digest: digest(BENCH_API_KEY) },
];
const owners = new WeakMap<express.Request, string>();
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;
const BEARER = /^Bearer[ ]+([^\s]{1,512})$/i;
const LONE_SURROGATES = /\p{Cs}/gu;

/** The demo's apiKeyAuth: sha256 of the presented key, timingSafeEqual against every entry. */
const apiKeyAuth: express.RequestHandler = (req, res, next) => {
  const m = BEARER.exec((req.get('authorization') ?? '').trim());
  let found: string | undefined;
  if (m?.[1]) {
    const d = digest(m[1]);
    for (const e of API_KEYS)
      if (timingSafeEqual(d, e.digest) && found === undefined) found = e.owner;
  }
  if (found === undefined) {
    res.status(401).json({ title: 'Unauthorized' });
    return;
  }
  owners.set(req, found);
  res.locals.client = found;
  next();
};

/** The demo's refuseHiddenKeys (guard.ts): plain objects only, no operator or prototype key. */
function plain(value: unknown, depth: number, budget: { left: number }): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (depth > 32) return false;
  if (Array.isArray(value)) {
    budget.left -= value.length;
    return budget.left >= 0 && value.every((v) => plain(v, depth + 1, budget));
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const keys = Reflect.ownKeys(value);
  budget.left -= keys.length;
  if (budget.left < 0) return false;
  for (const key of keys) {
    if (typeof key !== 'string' || isDangerousKey(key)) return false;
    if (!plain((value as Record<string, unknown>)[key], depth + 1, budget)) return false;
  }
  return true;
}
const guard: express.RequestHandler = (req, res, next) => {
  const ok = (v: unknown) => plain(v, 0, { left: 10_000 });
  if (ok(req.body) && ok(req.query) && ok(req.params)) return next();
  res.status(400).json({ title: 'Bad Request' });
};

/** The demo's requiredText chain (validation.ts): capped, sanitised, visible, bounded. */
const requiredText = (field: string, max: number) =>
  body(field)
    .isString()
    .withMessage('must be a string')
    .bail()
    .isLength({ max: max * 4 })
    .withMessage(`must be at most ${max} characters`)
    .bail()
    .customSanitizer((value: string) => sanitizeInput(value).trim())
    .custom((value: string) => hasVisibleText(value.replace(LONE_SURROGATES, '')))
    .withMessage('must contain visible characters')
    .bail()
    .isLength({ max })
    .withMessage(`must be at most ${max} characters`);
const demoChains = () => [
  requiredText('name', 200),
  requiredText('address', 500),
  body('contactEmail')
    .optional()
    .isString()
    .bail()
    .trim()
    .isEmail()
    .isLength({ max: 254 })
    .withMessage('must be an email address'),
  body('contactPhone')
    .optional()
    .isString()
    .bail()
    .trim()
    .matches(/^\+?[0-9 ()-]{5,30}$/)
    .withMessage('must be a phone number'),
];

type Mw = express.RequestHandler;
/**
 * A named wrapper for the per-middleware CPU profile (src/workers/profile-http.ts): a sample whose
 * stack holds `layer_<name>` is work done by that layer (or what it calls synchronously). Built
 * with `new Function` because tsx's transform (esbuild, keepNames) strips the names of functions
 * written in the source and sets `.name` at run time, which the profiler does not see. `name` is
 * one of the fixed layer names, never input.
 */
function namedLayer(name: DemoLayer | 'handler', mw: Mw): Mw {
  const make = new Function(
    'mw',
    `return function layer_${name}(req, res, next) { return mw(req, res, next); };`,
  ) as (inner: Mw) => Mw;
  return make(mw);
}

/**
 * The apps of case 9, built in the server process (src/workers/http-server.ts). `layers` (for
 * the per-middleware profile, src/workers/profile-http.ts) keeps only the named layers of `demo`.
 */
export function makeHttpApp(
  subject: HttpSubject,
  redis: Redis | undefined,
  prefix: string,
  layers: readonly DemoLayer[] = DEMO_LAYERS,
  named = false,
): express.Express {
  const w = (name: DemoLayer | 'handler', mw: Mw): Mw => (named ? namedLayer(name, mw) : mw);
  const handler = w('handler', (req, res) => {
    res.status(201).json({ ok: true, name: (req.body as { name?: string }).name });
  });
  const a = express();
  if (subject === 'bare') {
    a.post('/hospitals', express.json(), handler);
    return a;
  }
  const log = new SafeLogger('bench.http', {
    transports: [new winston.transports.Stream({ stream: new NullStream() })],
  });
  const limit = () =>
    rateLimit({
      points: 1_000_000_000,
      durationMs: 60_000,
      ...(redis ? { redis } : {}),
      keyPrefix: `${prefix}http:`,
      logger: false,
    });
  if (subject === 'stack') {
    a.use(securityHeaders(), requestLogger({ logger: log }));
    a.use(limit());
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
  // Mounted as the demo mounts it: front() on the app, then the /hospitals router.
  a.disable('x-powered-by');
  const has = (l: DemoLayer) => layers.includes(l);
  if (has('requestId')) {
    a.use(
      w('requestId', (req, res, next) => {
        const given = req.get('x-request-id');
        const id = given && REQUEST_ID.test(given) ? given : randomUUID();
        res.locals.requestId = id;
        res.setHeader('X-Request-Id', id);
        next();
      }),
    );
  }
  if (has('securityHeaders')) a.use(w('securityHeaders', securityHeaders()));
  if (has('requestLogger')) a.use(w('requestLogger', requestLogger({ logger: log })));
  const hospitals = express.Router();
  const keepBase: express.RequestHandler = (req, res, next) => {
    res.locals.routeBase = req.baseUrl;
    next();
  };
  hospitals.use(keepBase);
  if (has('rateLimit')) hospitals.use(w('rateLimit', limit()));
  if (has('auth')) hospitals.use(w('auth', apiKeyAuth));
  // express.json is always there (the handler reads the body); `json` only names it in profiles
  hospitals.use(w('json', express.json({ limit: '16kb' })));
  if (has('sanitizeRequest')) hospitals.use(w('sanitizeRequest', sanitizeRequest()));
  const route: express.RequestHandler[] = [];
  if (has('validate')) route.push(w('validate', validate(demoChains())));
  if (has('guard')) route.push(w('guard', guard));
  if (has('idempotency')) {
    route.push(
      w(
        'idempotency',
        idempotency({
          scope: (req) => owners.get(req) ?? 'anonymous',
          leaseMs: 30_000,
          logger: false,
          ...(redis ? { redis } : {}),
          keyPrefix: `${prefix}idem:`,
        }),
      ),
    );
  }
  hospitals.post('/', ...route, handler);
  a.use('/hospitals', hospitals);
  return a;
}

export interface ServeOptions {
  /** Only these layers of `demo` (default: all). */
  layers?: readonly DemoLayer[];
  /** Wraps every layer in a named function and accepts profile requests (profile-http.ts). */
  profile?: boolean;
}

/** Starts the app of `subject` in its own process (the server gets a core; autocannon the other). */
export async function serveInChild(
  subject: HttpSubject,
  redisUrl: string,
  prefix: string,
  opts: ServeOptions = {},
) {
  const child = fork(path.join(import.meta.dirname, '..', 'workers', 'http-server.ts'), [], {
    // Profiled: no TurboFan inlining, or the tiny `layer_*` wrappers vanish from the stacks.
    execArgv: [...(opts.profile ? ['--no-turbo-inlining'] : []), '--import', 'tsx'],
    env: {
      ...process.env,
      BENCH_SUBJECT: subject,
      BENCH_REDIS_URL: redisUrl,
      BENCH_PREFIX: prefix,
      BENCH_LAYERS: (opts.layers ?? DEMO_LAYERS).join(','),
      BENCH_PROFILE: opts.profile ? '1' : '',
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`http server exited (${code})`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    /** With `profile`: runs `during` under the V8 CPU profiler of the server, returns the profile. */
    profile: async (during: () => Promise<unknown>): Promise<unknown> => {
      const stopped = new Promise<unknown>((resolve) => {
        const on = (m: unknown) => {
          const msg = m as { profile?: unknown };
          if (msg.profile === undefined) return;
          child.off('message', on);
          resolve(msg.profile);
        };
        child.on('message', on);
      });
      await new Promise<void>((resolve) => {
        const on = (m: unknown) => {
          if ((m as { started?: boolean }).started) {
            child.off('message', on);
            resolve();
          }
        };
        child.on('message', on);
        child.send({ cmd: 'profile-start' });
      });
      await during();
      child.send({ cmd: 'profile-stop' });
      return stopped;
    },
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** What autocannon sends: the demo's create body; for `demo`, its API key and a new Idempotency-Key per request. */
export function loadFor(subject: HttpSubject, url: string, duration: number): autocannon.Options {
  const body = JSON.stringify({ name: "St. Mary's General", address: '6411 Fannin St, Houston' });
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (subject === 'demo') headers.authorization = `Bearer ${BENCH_API_KEY}`;
  let seq = 0;
  const run = `${process.pid}-${Date.now()}`;
  return {
    url: `${url}/hospitals`,
    connections: 10,
    duration,
    requests: [
      {
        method: 'POST' as const,
        body,
        headers,
        ...(subject === 'demo'
          ? {
              setupRequest: (req: autocannon.Request) => ({
                ...req,
                headers: { ...req.headers, ...headers, 'idempotency-key': `${run}-${seq++}` },
              }),
            }
          : {}),
      },
    ],
  };
}

const SUBJECTS: Record<string, HttpSubject> = {
  'bare Express 5 (express.json + handler)': 'bare',
  'inbound stack: securityHeaders, requestLogger, rateLimit (Redis), sanitizeRequest, validate':
    'stack',
  "the demo's POST /hospitals as it runs (+ request id, API-key auth, demo validation, guard, idempotency (Redis))":
    'demo',
};
const BARE = 'bare Express 5 (express.json + handler)';

export async function inboundHttp(
  settings: Settings,
  redisUrl: string,
  prefix: string,
): Promise<void> {
  const duration = settings.quick ? 2 : 5;
  const rounds = settings.quick ? 1 : 3;
  const rps: Record<string, number[]> = {};
  const p99: Record<string, number[]> = {};
  const failed: Record<string, number[]> = {};
  for (let round = 0; round < rounds; round++) {
    const order = Object.entries(SUBJECTS);
    for (let i = 0; i < round; i++) order.push(order.shift() as [string, HttpSubject]);
    for (const [name, subject] of order) {
      const s = await serveInChild(subject, redisUrl, prefix);
      // warm up the server (JIT, Redis scripts loaded) before the measured run
      await autocannon(loadFor(subject, s.url, 1));
      const result = await autocannon(loadFor(subject, s.url, duration));
      await s.close();
      if (result.non2xx > 0) progress(`  ${name}: ${result.non2xx} non-2xx answers`);
      if (result.errors > 0) progress(`  ${name}: ${result.errors} errors`);
      collect(rps, name, result.requests.average);
      collect(p99, name, result.latency.p99);
      collect(failed, name, result.non2xx + result.errors);
    }
  }
  for (const name of Object.keys(SUBJECTS)) {
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
    record({
      case: CASE_HTTP,
      subject: name,
      metric: 'non-2xx answers and errors per run (503: Redis slower than its bound)',
      unit: 'answers',
      better: 'lower',
      values: failed[name] as number[],
    });
  }
  relate(CASE_HTTP, 'requests per second', BARE);
  relate(CASE_HTTP, 'p99 latency', BARE);
}
