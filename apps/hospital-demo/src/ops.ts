import express, { type RequestHandler, type Router } from 'express';
import type { Redis } from 'ioredis';
import type { Activity } from './activity';
import type { Config } from './config';
import { sendProblem } from './errors';
import type { Fleet } from './fleet';
import type { Metrics } from './metrics';
import { statusPage } from './status-page';
import type { OtelMetrics } from './telemetry/metrics';
import type { OtelTracing } from './telemetry/tracing';
import type { Layers } from './wiring';

/**
 * The operator endpoints: /readyz, /metrics, /traces/:requestId and the status page. Unauthenticated by design
 * (probes and scrapers), so each is cheap and bounded: a per-client rate limit of its own,
 * readiness cached and probed through the outbound limiter, the shared breaker state read at most
 * once per STATUS_REFRESH_MS whatever the number of requests.
 */
export interface OpsOptions {
  config: Config;
  upstreamUrl: string;
  redis: Redis | undefined;
  metrics: Metrics;
  otel: { metrics: OtelMetrics; tracing: OtelTracing };
  layers: Layers;
  activity: Activity;
  /** The heartbeats and the last 10 minutes (src/fleet). */
  fleet: Fleet;
  workerId: string;
  now: () => number;
}

type Check = 'ok' | 'failing';
interface Readiness {
  ready: boolean;
  checks: Record<string, Check>;
}

export function opsRouter(o: OpsOptions): Router {
  const { layers, metrics } = o;
  const limited: RequestHandler = layers.ops;
  const ready = readiness(o);
  const refreshShared = sharedStateRefresher(o);

  const router = express.Router();
  router.get('/readyz', limited, async (_req, res) => {
    const r = await ready();
    res.setHeader('Cache-Control', 'no-store');
    res
      .status(r.ready ? 200 : 503)
      .json({ status: r.ready ? 'ready' : 'not ready', checks: r.checks });
  });
  router.get('/metrics', limited, async (_req, res) => {
    await refreshShared();
    layers.syncBreakerGauges();
    o.fleet.syncGauges();
    // One exposition: the app's prom-client families, then the OpenTelemetry ones (other names).
    const [own, otel] = await Promise.all([metrics.registry.metrics(), o.otel.metrics.text()]);
    res.type(metrics.registry.contentType).send(own + otel);
  });
  router.get('/traces/:requestId', limited, (req: express.Request<{ requestId: string }>, res) => {
    const found = o.otel.tracing.spans.traceOf(req.params.requestId);
    if (!found) return sendProblem(res, 404, 'not-found', 'No trace kept for this request id');
    res.setHeader('Cache-Control', 'no-store');
    res.json(found);
  });
  router.use(statusPage({ ...o, limited, refreshShared }));
  return router;
}

/** Readiness: at most one probe in flight, and none while the last answer is younger than READY_CACHE_MS. */
function readiness(o: OpsOptions): () => Promise<Readiness> {
  const { config, redis, now } = o;
  let last: (Readiness & { at: number }) | undefined;
  let lastUpstream: Check | undefined;
  let probing: Promise<Readiness> | undefined;

  const probeUpstream = async (): Promise<Check> => {
    // The probe spends a token of the outbound limiter shared with real calls: when none is free
    // the registry is busy with tenants' work, and the last known answer stands.
    const granted = await o.layers.outbound.tryAcquire().catch(() => false);
    if (!granted) return lastUpstream ?? 'ok';
    lastUpstream = await fetch(o.upstreamUrl, {
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
    const checks: Record<string, Check> = {};
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

  return () => {
    if (last && now() - last.at < config.readyCacheMs) return Promise.resolve(last);
    probing ??= probeAll()
      .then((r) => {
        last = { ...r, at: now() };
        return r;
      })
      .finally(() => {
        probing = undefined;
      });
    return probing;
  };
}

/** Reads the shared breaker state, at most once per STATUS_REFRESH_MS and one read at a time. */
function sharedStateRefresher(o: OpsOptions): () => Promise<void> {
  const { config, layers, now } = o;
  let refreshedAt = Number.NEGATIVE_INFINITY;
  let refreshing: Promise<void> | undefined;
  return () => {
    if (now() - refreshedAt < config.statusRefreshMs) return Promise.resolve();
    refreshing ??= Promise.all(layers.hospitalApi.breakers.map((b) => b.refresh?.()))
      .then(
        () => undefined,
        // Redis away: the breakers carry on in memory, and so does the page.
        () => undefined,
      )
      .finally(() => {
        refreshedAt = now();
        refreshing = undefined;
        layers.syncBreakerGauges();
      });
    return refreshing;
  };
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
