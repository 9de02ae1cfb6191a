import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Redis } from 'ioredis';
import { adminAuth, apiKeyAuth, ownerOf } from './auth';
import type { Config } from './config';
import { isUpstreamHttpError, isUpstreamNetworkError, sendProblem } from './errors';
import { refuseHiddenKeys } from './guard';
import {
  createHospitalApiClient,
  type Endpoint,
  type HospitalApiClient,
  reasonOf,
} from './hospital-api-client';
import { BREAKER_STATES, createMetrics, type Metrics } from './metrics';
import {
  type Breaker,
  createRateLimiter,
  idempotency,
  idempotencyKeyFor,
  isCircuitOpenError,
  type RateLimiter,
  rateLimit,
  requestLogger,
  SafeLogger,
  sanitizeRequest,
  securityHeaders,
  validate,
} from './resil';
import { hospitalChains } from './validation';

export interface AppDeps {
  config: Config;
  /** The registry to call; defaults to `config.upstreamUrl`. */
  upstreamUrl?: string;
  /** A Redis client for shared state; defaults to one on `config.redisUrl` (closed by shutdown). */
  redis?: Redis;
  logger?: SafeLogger;
  metrics?: Metrics;
  /** Shown on /status (cluster worker id). @default 'main' */
  workerId?: string;
  /** The clock of the readiness cache and of the shared-state refresh. @default Date.now */
  now?: () => number;
  /**
   * Called by every /hospitals handler, first, with what reached it (after rate limit, auth,
   * sanitising, validation and the hidden-key guard). For tests and audits; must not throw.
   */
  onInput?: (input: HandlerInput) => void;
}

/** What a /hospitals handler receives. */
export interface HandlerInput {
  route: 'POST /hospitals' | 'GET /hospitals/:id' | 'DELETE /hospitals/:id';
  body: unknown;
  query: unknown;
  params: unknown;
}

export interface DemoApp extends Express {
  /**
   * The operator endpoints (`/healthz`, `/readyz`, `/metrics`, `/status`, `/status.json`) as an
   * app of their own, for a separate listener (`OPS_PORT`). When `config.opsPort` is unset the
   * public app serves them too.
   */
  readonly ops: Express;
  readonly hospitalApi: HospitalApiClient;
  readonly metrics: Metrics;
  readonly logger: SafeLogger;
  /** Stops timers, closes the limiter and the Redis client this app created. */
  shutdown(): Promise<void>;
}

interface RecentRetry {
  at: number;
  endpoint: Endpoint;
  attempt: number;
  delayMs: number;
  reason: string;
}

const HOSPITAL_ID = /^hosp_[0-9a-f-]{36}$/;
const PUBLIC_DIR = path.join(__dirname, '..', 'public');
const STATUS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function readPublic(name: string): string {
  return fs.readFileSync(path.join(PUBLIC_DIR, name), 'utf8');
}

/** Builds the hospital service. Never listens: src/server.ts does, tests use supertest on it. */
export function createApp(deps: AppDeps): DemoApp {
  const { config } = deps;
  const upstreamUrl = deps.upstreamUrl ?? config.upstreamUrl;
  if (!upstreamUrl) {
    throw new TypeError(
      'createApp: no upstream registry URL (set UPSTREAM_URL or deps.upstreamUrl)',
    );
  }
  const logger = deps.logger ?? new SafeLogger('hospital-demo', { level: config.logLevel });
  const metrics = deps.metrics ?? createMetrics();
  const workerId = deps.workerId ?? 'main';
  const now = deps.now ?? Date.now;
  const ownRedis =
    !deps.redis && config.redisUrl ? createRedisClient(config.redisUrl, logger) : undefined;
  const redis = deps.redis ?? ownRedis;
  const shared = redis ? { redis, keyPrefix: config.keyPrefix } : {};

  // ---- outbound: limiter + client ------------------------------------------------------------
  const limiter: RateLimiter = createRateLimiter({
    name: 'hospital-api',
    points: config.outboundRateLimit,
    durationMs: config.outboundWindowMs,
    // while Redis is down each worker allows its share of the registry's limit
    expectedWorkers: config.workers,
    logger,
    ...shared,
  });
  const acquiredAt: number[] = [];
  let outboundRefused = 0;
  // Counts grants and refusals for the status page; everything else is the limiter's own.
  const trackedLimiter: RateLimiter = {
    name: limiter.name,
    points: limiter.points,
    durationMs: limiter.durationMs,
    storage: limiter.storage,
    get degraded() {
      return limiter.degraded;
    },
    get waiting() {
      return limiter.waiting;
    },
    tryAcquire: (cost) => limiter.tryAcquire(cost),
    close: () => limiter.close(),
    async acquire(opts) {
      try {
        await limiter.acquire(opts);
      } catch (err) {
        outboundRefused++;
        metrics.rateLimitRejections.inc({ direction: 'outbound' });
        throw err;
      }
      acquiredAt.push(now());
      if (acquiredAt.length > 10_000) acquiredAt.splice(0, acquiredAt.length - 10_000);
    },
  };

  const recentRetries: RecentRetry[] = [];
  let retriesTotal = 0;
  const hospitalApi = createHospitalApiClient({
    baseUrl: upstreamUrl,
    timeoutMs: config.upstreamTimeoutMs,
    limiter: trackedLimiter,
    limiterMaxWaitMs: config.outboundMaxWaitMs,
    breaker: {
      failureThreshold: config.breakerFailureThreshold,
      resetTimeoutMs: config.breakerResetTimeoutMs,
      ...shared,
    },
    retry: {
      maxAttempts: config.retryMaxAttempts,
      minDelayMs: config.retryMinDelayMs,
      maxDelayMs: config.retryMaxDelayMs,
      maxRetryAfterMs: config.retryMaxRetryAfterMs,
    },
    logger,
    onRetry: (endpoint, event) => {
      const reason = reasonOf(event.error);
      retriesTotal++;
      metrics.retries.inc({ endpoint, reason });
      recentRetries.unshift({
        at: now(),
        endpoint,
        attempt: event.attempt,
        delayMs: Math.round(event.delayMs),
        reason,
      });
      recentRetries.length = Math.min(recentRetries.length, 20);
    },
    onCall: (endpoint, outcome) => metrics.upstreamCalls.inc({ endpoint, outcome }),
  });

  const breakerView = (b: Breaker) => ({
    name: b.name,
    state: b.state,
    storage: b.storage,
    failures: b.failures,
    failureThreshold: b.failureThreshold,
    nextProbeInMs: b.nextProbeInMs,
  });
  const syncBreakerGauges = () => {
    for (const b of hospitalApi.breakers) {
      for (const s of BREAKER_STATES) {
        metrics.breakerState.set({ breaker: b.name, state: s }, b.state === s ? 1 : 0);
      }
    }
  };
  for (const b of hospitalApi.breakers) {
    b.on('stateChange', ({ to }: { to: string }) => {
      metrics.breakerTransitions.inc({ breaker: b.name, to });
      syncBreakerGauges();
      // The log line ("circuit breaker <name> state changed to <to>") is @resil/breaker's own.
    });
  }
  syncBreakerGauges();

  // ---- the Express apps ----------------------------------------------------------------------
  // `app` is the public service; `ops` holds the operator endpoints. Without OPS_PORT the public
  // app serves the operator endpoints too; with it, only `ops` does (on its own listener).
  const app = express() as unknown as DemoApp;
  const ops = express();
  const separateOps = config.opsPort !== undefined;

  let inboundRejected = 0;
  const front = (a: Express) => {
    a.disable('x-powered-by');
    a.set('trust proxy', config.trustProxy);
    a.use((req: Request, res: Response, next: NextFunction) => {
      const given = req.get('x-request-id');
      const id = given && /^[A-Za-z0-9._-]{1,64}$/.test(given) ? given : randomUUID();
      res.locals.requestId = id;
      res.setHeader('X-Request-Id', id);
      next();
    });
    a.use(securityHeaders());
    a.use(requestLogger({ logger }));
    a.use((req: Request, res: Response, next: NextFunction) => {
      const end = metrics.httpDuration.startTimer();
      res.on('finish', () => {
        const base = (res.locals.routeBase as string | undefined) ?? req.baseUrl;
        const route = req.route?.path ? `${base}${req.route.path}` : 'unmatched';
        end({ method: req.method, route, status: String(res.statusCode) });
        if (res.getHeader('Idempotent-Replayed') === 'true')
          metrics.idempotency.inc({ outcome: 'replayed' });
        else if (res.locals.idempotencyChecked && res.locals.handled !== true) {
          if (res.statusCode === 409) metrics.idempotency.inc({ outcome: 'conflict' });
          if (res.statusCode === 422) metrics.idempotency.inc({ outcome: 'mismatch' });
        }
        if (res.statusCode === 429 && res.locals.inboundLimited) {
          inboundRejected++;
          metrics.rateLimitRejections.inc({ direction: 'inbound' });
        }
      });
      next();
    });
    a.get('/healthz', (_req, res) => {
      res.json({ status: 'ok' });
    });
  };
  front(app);
  front(ops);

  /** Runs `limiter`, marking the response so that a 429 from it is counted as an inbound refusal. */
  const limitedBy =
    (limiter: ReturnType<typeof rateLimit>) =>
    (req: Request, res: Response, next: NextFunction) => {
      res.locals.inboundLimited = true;
      limiter(req, res, (err?: unknown) => {
        res.locals.inboundLimited = false;
        next(err);
      });
    };

  // ---- operator endpoints: readiness, metrics, status ----------------------------------------
  // Unauthenticated by design (probes and scrapers), so each is cheap and bounded: a per-client
  // rate limit of its own, readiness cached and probed through the outbound limiter, the shared
  // breaker state read at most once per STATUS_REFRESH_MS whatever the number of requests.
  const opsLimiter = rateLimit({
    points: config.opsRateLimit,
    durationMs: config.opsWindowMs,
    policyName: 'ops',
    expectedWorkers: config.workers,
    logger,
    ...shared,
  });
  const opsLimited = limitedBy(opsLimiter);

  type Readiness = { ready: boolean; checks: Record<string, 'ok' | 'failing'> };
  let readiness: (Readiness & { at: number }) | undefined;
  let lastUpstream: 'ok' | 'failing' | undefined;
  let probing: Promise<Readiness> | undefined;
  const probeUpstream = async (): Promise<'ok' | 'failing'> => {
    // The probe spends a token of the outbound limiter shared with real calls: when none is free
    // the registry is busy with tenants' work, and the last known answer stands.
    const granted = await limiter.tryAcquire().catch(() => false);
    if (!granted) return lastUpstream ?? 'ok';
    acquiredAt.push(now());
    lastUpstream = await fetch(upstreamUrl, {
      method: 'HEAD',
      signal: AbortSignal.timeout(1_000),
    }).then(
      async (r) => {
        await r.body?.cancel().catch(() => undefined);
        return 'ok' as const;
      },
      () => 'failing' as const,
    );
    return lastUpstream;
  };
  const probeAll = async (): Promise<Readiness> => {
    const checks: Record<string, 'ok' | 'failing'> = {};
    const probes: Promise<void>[] = [];
    if (redis) {
      probes.push(
        withTimeout(redis.ping(), 1_000).then(
          () => {
            checks.redis = 'ok';
          },
          () => {
            checks.redis = 'failing';
          },
        ),
      );
    }
    probes.push(
      probeUpstream().then((c) => {
        checks.upstream = c;
      }),
    );
    await Promise.all(probes);
    return { ready: Object.values(checks).every((c) => c === 'ok'), checks };
  };
  /** At most one probe in flight, and none while the last answer is younger than READY_CACHE_MS. */
  const ready = (): Promise<Readiness> => {
    if (readiness && now() - readiness.at < config.readyCacheMs) return Promise.resolve(readiness);
    probing ??= probeAll()
      .then((r) => {
        readiness = { ...r, at: now() };
        return r;
      })
      .finally(() => {
        probing = undefined;
      });
    return probing;
  };

  let refreshedAt = Number.NEGATIVE_INFINITY;
  let refreshing: Promise<void> | undefined;
  /** Reads the shared breaker state, at most once per STATUS_REFRESH_MS and one read at a time. */
  const refreshShared = (): Promise<void> => {
    if (now() - refreshedAt < config.statusRefreshMs) return Promise.resolve();
    refreshing ??= Promise.all(hospitalApi.breakers.map((b) => b.refresh?.()))
      .then(
        () => undefined,
        // Redis away: the breakers carry on in memory, and so does the page.
        () => undefined,
      )
      .finally(() => {
        refreshedAt = now();
        refreshing = undefined;
        syncBreakerGauges();
      });
    return refreshing;
  };

  const opsRoutes = express.Router();
  opsRoutes.get('/readyz', opsLimited, async (_req, res, next) => {
    try {
      const r = await ready();
      res.setHeader('Cache-Control', 'no-store');
      res
        .status(r.ready ? 200 : 503)
        .json({ status: r.ready ? 'ready' : 'not ready', checks: r.checks });
    } catch (err) {
      next(err);
    }
  });

  opsRoutes.get('/metrics', opsLimited, async (_req, res, next) => {
    try {
      await refreshShared();
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    } catch (err) {
      next(err);
    }
  });

  const statusHtml = readPublic('status.html');
  const statusJs = readPublic('status.js');
  const statusCss = readPublic('status.css');
  opsRoutes.get('/status', opsLimited, (_req, res) => {
    res.setHeader('Content-Security-Policy', STATUS_CSP);
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(statusHtml);
  });
  opsRoutes.get('/status.js', opsLimited, (_req, res) => {
    res.setHeader('Content-Security-Policy', STATUS_CSP);
    res.type('text/javascript').send(statusJs);
  });
  opsRoutes.get('/status.css', opsLimited, (_req, res) => {
    res.setHeader('Content-Security-Policy', STATUS_CSP);
    res.type('text/css').send(statusCss);
  });
  opsRoutes.get('/favicon.ico', (_req, res) => {
    res.status(204).end();
  });
  opsRoutes.get('/status.json', opsLimited, async (_req, res, next) => {
    try {
      // Changes made by other workers arrive by pub/sub within milliseconds; the page also reads
      // the shared state, at most once per STATUS_REFRESH_MS however many pages are open.
      await refreshShared();
      const t = now();
      const used = acquiredAt.filter((at) => t - at < config.outboundWindowMs).length;
      res.setHeader('Cache-Control', 'no-store');
      res.json({
        service: 'hospital-demo',
        worker: workerId,
        time: new Date(t).toISOString(),
        sharedState: Boolean(redis),
        breakers: hospitalApi.breakers.map(breakerView),
        outbound: {
          limit: config.outboundRateLimit,
          windowMs: config.outboundWindowMs,
          usedInWindow: used,
          refused: outboundRefused,
        },
        inbound: {
          limit: config.inboundRateLimit,
          windowMs: config.inboundWindowMs,
          rejected: inboundRejected,
        },
        retries: { total: retriesTotal, recent: recentRetries },
        policy: {
          retryMaxAttempts: config.retryMaxAttempts,
          breakerFailureThreshold: config.breakerFailureThreshold,
          breakerResetTimeoutMs: config.breakerResetTimeoutMs,
          upstreamTimeoutMs: config.upstreamTimeoutMs,
        },
      });
    } catch (err) {
      next(err);
    }
  });
  ops.use(opsRoutes);
  if (!separateOps) app.use(opsRoutes);

  // ---- protected endpoints -------------------------------------------------------------------
  const inboundLimit = rateLimit({
    points: config.inboundRateLimit,
    durationMs: config.inboundWindowMs,
    expectedWorkers: config.workers,
    logger,
    ...shared,
  });
  const limited = limitedBy(inboundLimit);

  // Express resets req.baseUrl when an error leaves the router: keep it for logs and metrics.
  const keepBase = (req: Request, res: Response, next: NextFunction) => {
    res.locals.routeBase = req.baseUrl;
    next();
  };
  const admin = express.Router();
  admin.use(keepBase, limited, adminAuth(config.adminKeyDigest, config.apiKeys));
  admin.post('/breakers/:name/:action', async (req, res) => {
    const b = hospitalApi.breakers.find((x) => x.name === req.params.name);
    if (!b) return sendProblem(res, 404, 'not-found', 'No such breaker');
    if (req.params.action === 'open') await b.open();
    else if (req.params.action === 'close') await b.close();
    else return sendProblem(res, 404, 'not-found', 'Action must be open or close');
    logger.warn('breaker forced by admin', { breaker: b.name, state: b.state });
    res.json(breakerView(b));
  });
  app.use('/admin', admin);

  const hospitals = express.Router();
  hospitals.use(keepBase, limited, apiKeyAuth(config.apiKeys));
  hospitals.use(express.json({ limit: '16kb' }), sanitizeRequest());
  // Route level, so that it also sees the route's params; after validation, before the handler.
  const guard = refuseHiddenKeys();
  const markChecked = (_req: Request, res: Response, next: NextFunction) => {
    res.locals.idempotencyChecked = true;
    next();
  };
  const seen = (route: HandlerInput['route'], req: Request) =>
    deps.onInput?.({ route, body: req.body, query: req.query, params: req.params });
  /** The caller's tenant: set by apiKeyAuth, which runs before every /hospitals route. */
  const tenant = (req: Request): string => {
    const owner = ownerOf(req);
    if (owner === undefined) throw new Error('hospitals route reached without an API key owner');
    return owner;
  };

  hospitals.post(
    '/',
    validate(hospitalChains()),
    guard,
    markChecked,
    idempotency({
      scope: (req: Request) => ownerOf(req) ?? 'anonymous',
      leaseMs: config.idempotencyLeaseMs,
      logger,
      ...shared,
    }),
    async (req, res, next) => {
      res.locals.handled = true;
      seen('POST /hospitals', req);
      try {
        const owner = tenant(req);
        const b = req.body as Record<string, string | undefined>;
        const input = {
          name: b.name as string,
          address: b.address as string,
          ...(b.contactEmail ? { contactEmail: b.contactEmail } : {}),
          ...(b.contactPhone ? { contactPhone: b.contactPhone } : {}),
        };
        const key = idempotencyKeyFor(req, owner) ?? randomUUID();
        const created = await hospitalApi.create(input, { idempotencyKey: key, owner });
        const active =
          created.status === 'active'
            ? created
            : await hospitalApi.activate(created.id, {
                idempotencyKey: `${key}.activate`,
                owner,
              });
        logger.info('hospital created', { hospitalId: active.id, client: owner });
        res
          .status(201)
          .location(`/hospitals/${active.id}`)
          .json({ id: active.id, name: active.name, status: 'active' });
      } catch (err) {
        next(err);
      }
    },
  );

  hospitals.get(
    '/:id',
    guard,
    async (req: Request<{ id: string }>, res: Response, next: NextFunction) => {
      seen('GET /hospitals/:id', req);
      if (!HOSPITAL_ID.test(req.params.id))
        return sendProblem(res, 404, 'not-found', 'Hospital not found');
      try {
        const owner = tenant(req);
        const h = await hospitalApi.get(req.params.id, { owner });
        // The registry answers 404 to another owner; should one ever answer anyway, the service
        // still shows a tenant nothing but its own hospitals.
        if (h.owner !== owner) return sendProblem(res, 404, 'not-found', 'Hospital not found');
        res.json({
          id: h.id,
          name: h.name,
          address: h.address,
          status: h.status,
          ...(h.contactEmail ? { contactEmail: h.contactEmail } : {}),
          ...(h.contactPhone ? { contactPhone: h.contactPhone } : {}),
        });
      } catch (err) {
        next(err);
      }
    },
  );

  hospitals.delete(
    '/:id',
    guard,
    async (req: Request<{ id: string }>, res: Response, next: NextFunction) => {
      seen('DELETE /hospitals/:id', req);
      if (!HOSPITAL_ID.test(req.params.id))
        return sendProblem(res, 404, 'not-found', 'Hospital not found');
      try {
        const owner = tenant(req);
        // A conditional delete: the registry deletes only a hospital of this owner (one step, so
        // no check-then-act race between workers), and answers 404 otherwise.
        await hospitalApi.delete(req.params.id, { owner });
        logger.info('hospital deleted', { hospitalId: req.params.id, client: owner });
        res.status(204).end();
      } catch (err) {
        next(err);
      }
    },
  );
  app.use('/hospitals', hospitals);

  // ---- errors --------------------------------------------------------------------------------
  const notFound = (_req: Request, res: Response) =>
    sendProblem(res, 404, 'not-found', 'Not Found');
  const onError = (err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return;
    if (isCircuitOpenError(err)) {
      const waitS = Math.max(1, Math.ceil((err.retryAfterMs ?? 1000) / 1000));
      res.setHeader('Retry-After', String(waitS));
      return sendProblem(
        res,
        503,
        'circuit-open',
        'Hospital registry unavailable',
        'the registry has been failing, so calls are refused for now; retry later with the same Idempotency-Key',
        { breaker: err.breakerName },
      );
    }
    if (isUpstreamHttpError(err)) {
      if (err.status === 404) return sendProblem(res, 404, 'not-found', 'Hospital not found');
      if (err.status === 429) {
        res.setHeader('Retry-After', err.headers.get('retry-after') ?? '1');
        return sendProblem(res, 503, 'upstream-busy', 'Hospital registry busy');
      }
      return sendProblem(
        res,
        502,
        'upstream-error',
        'Hospital registry error',
        `the registry answered ${err.status}`,
      );
    }
    if (isUpstreamNetworkError(err)) {
      if (err.code === 'ETIMEDOUT')
        return sendProblem(res, 504, 'upstream-timeout', 'Hospital registry timed out');
      return sendProblem(res, 502, 'upstream-unreachable', 'Hospital registry unreachable');
    }
    if ((err as { code?: unknown })?.code === 'RESIL_RATELIMIT_TIMEOUT') {
      res.setHeader('Retry-After', '1');
      return sendProblem(
        res,
        503,
        'outbound-limit',
        'Too busy',
        'no outbound capacity within the allowed wait',
      );
    }
    const status = (err as { status?: unknown })?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const title =
        status === 413
          ? 'Payload Too Large'
          : status === 415
            ? 'Unsupported Media Type'
            : 'Bad Request';
      return sendProblem(res, status, 'bad-request', title);
    }
    logger.error('unhandled error', {
      requestId: res.locals.requestId,
      error: (err as { name?: string })?.name ?? 'unknown',
    });
    sendProblem(res, 500, 'internal', 'Internal Server Error');
  };
  for (const a of [app, ops]) {
    a.use(notFound);
    a.use(onError);
  }

  let closed = false;
  Object.assign(app, {
    ops,
    hospitalApi,
    metrics,
    logger,
    async shutdown() {
      if (closed) return;
      closed = true;
      await limiter.close();
      await Promise.all([inboundLimit, opsLimiter].map((l) => l.close()));
      for (const b of hospitalApi.breakers) b.shutdown?.();
      if (ownRedis) await ownRedis.quit().catch(() => ownRedis?.disconnect());
    },
  });
  return app;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timeout')), ms);
    t.unref();
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

function createRedisClient(url: string, logger: SafeLogger): Redis {
  const { Redis: RedisClient } = require('ioredis') as typeof import('ioredis');
  const client = new RedisClient(url, {
    connectTimeout: 2_000,
    commandTimeout: 1_000,
    maxRetriesPerRequest: 1,
    // Commands issued while reconnecting wait at most commandTimeout, then fail (bounded).
    enableOfflineQueue: true,
  });
  let down = false;
  client.on('error', (err: Error & { code?: string }) => {
    if (!down)
      logger.warn('redis unreachable: shared state falls back to memory', {
        code: err.code ?? 'unknown',
      });
    down = true;
  });
  client.on('ready', () => {
    if (down) logger.info('redis reachable again');
    down = false;
  });
  return client;
}
