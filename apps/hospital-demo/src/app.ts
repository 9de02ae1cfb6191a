import express, { type Express } from 'express';
import type { Redis } from 'ioredis';
import { createActivity } from './activity';
import type { Config } from './config';
import { handleErrors } from './error-handler';
import { createFleet } from './fleet';
import { SecondRing } from './fleet/ring';
import { front } from './front';
import type { HospitalApiClient } from './hospital-api-types';
import { createMetrics, type Metrics } from './metrics';
import { opsRouter } from './ops';
import { SafeLogger } from './resil';
import { adminRouter, type HandlerInput, hospitalsRouter, sessionRouter } from './routes';
import { traceRequests } from './telemetry/http';
import { installOtelMetrics } from './telemetry/metrics';
import { installTracing } from './telemetry/tracing';
import { createRedisClient, wireLayers } from './wiring';

export type { HandlerInput } from './routes';

export interface AppDeps {
  config: Config;
  /** The registry to call; defaults to `config.upstreamUrl`. */
  upstreamUrl?: string;
  /** A Redis client for shared state; defaults to one on `config.redisUrl` (quit by `close()`). */
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
  /**
   * Releases what the app holds (async, idempotent: a second call returns the first one's
   * promise), the same verb as every @resil object: unsubscribes from the layers' events, closes
   * the limiters, the middleware and the breakers, then quits the Redis client this app created
   * (never a caller's). Also `await using app = createApp(...)`.
   */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
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
  const now = deps.now ?? Date.now;
  const ownRedis =
    !deps.redis && config.redisUrl ? createRedisClient(config.redisUrl, logger) : undefined;
  const redis = deps.redis ?? ownRedis;
  // OpenTelemetry: the packages report through the global API; /metrics and /traces read it.
  const otel = { metrics: installOtelMetrics(), tracing: installTracing() };
  const workerId = deps.workerId ?? 'main';
  // Every app series carries the worker: the Grafana dashboard's `worker` variable.
  metrics.registry.setDefaultLabels({ worker: workerId });
  const ring = new SecondRing(now);
  const activity = createActivity(metrics, now, ring);
  const layers = wireLayers({ config, upstreamUrl, redis, logger, metrics, activity });
  const fleet = createFleet({ config, redis, layers, activity, ring, metrics, workerId, now });

  // `app` is the public service; `ops` holds the operator endpoints. Without OPS_PORT the public
  // app serves the operator endpoints too; with it, only `ops` does (on its own listener).
  const app = express() as unknown as DemoApp;
  const ops = express();
  front(app, { config, logger, metrics });
  front(ops, { config, logger, metrics });

  const opsRoutes = opsRouter({
    config,
    upstreamUrl,
    redis,
    metrics,
    otel,
    layers,
    activity,
    fleet,
    workerId,
    now,
  });
  ops.use(opsRoutes);
  if (config.opsPort === undefined) app.use(opsRoutes);
  // After the operator endpoints: a span for each request of the service, none for scrapes.
  app.use(traceRequests(otel.tracing.tracer));

  const routeOptions = { config, layers, logger, onInput: deps.onInput };
  app.use('/admin', adminRouter(routeOptions));
  app.use('/hospitals', hospitalsRouter(routeOptions));
  app.use('/session', sessionRouter(routeOptions));

  handleErrors(app, logger);
  handleErrors(ops, logger);

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      try {
        fleet.close();
        await layers.close();
      } finally {
        if (ownRedis) await ownRedis.quit().catch(() => ownRedis?.disconnect());
      }
    })();
    return closing;
  };
  Object.assign(app, {
    ops,
    hospitalApi: layers.hospitalApi,
    metrics,
    logger,
    close,
    [Symbol.asyncDispose]: close,
  });
  return app;
}
