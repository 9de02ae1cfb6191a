import fs from 'node:fs';
import path from 'node:path';
import express, { type RequestHandler, type Router } from 'express';
import { renderFleet } from './fleet/view';
import type { OpsOptions } from './ops';
import type { Breaker } from './resil';

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

/** What the status page and the admin endpoint show of a breaker. */
export function breakerView(b: Breaker) {
  return {
    name: b.name,
    state: b.state,
    storage: b.storage,
    failures: b.failures,
    failureThreshold: b.failureThreshold,
    resetTimeoutMs: b.resetTimeoutMs,
    nextProbeInMs: b.nextProbeInMs,
  };
}

/**
 * `/status` (HTML, its script and styles, under their own CSP: no inline script or style) and
 * `/status.json`, which the page reads every second.
 */
export function statusPage(
  o: OpsOptions & { limited: RequestHandler; refreshShared: () => Promise<void> },
): Router {
  const { config, limited } = o;
  const statusHtml = readPublic('status.html');
  const statusJs = readPublic('status.js');
  const statusCss = readPublic('status.css');

  const router = express.Router();
  // The fleet and its charts are rendered here (SVG in the HTML: the page works with JavaScript
  // off); /status.js swaps in /status/fleet every few seconds.
  router.get('/status', limited, async (_req, res) => {
    const fleet = renderFleet(await o.fleet.view());
    res.setHeader('Content-Security-Policy', STATUS_CSP);
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(statusHtml.replace('<!--FLEET-->', () => fleet));
  });
  router.get('/status/fleet', limited, async (_req, res) => {
    const fleet = renderFleet(await o.fleet.view());
    res.setHeader('Content-Security-Policy', STATUS_CSP);
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(fleet);
  });
  router.get('/status.js', limited, (_req, res) => {
    res.setHeader('Content-Security-Policy', STATUS_CSP);
    res.type('text/javascript').send(statusJs);
  });
  router.get('/status.css', limited, (_req, res) => {
    res.setHeader('Content-Security-Policy', STATUS_CSP);
    res.type('text/css').send(statusCss);
  });
  router.get('/favicon.ico', (_req, res) => {
    res.status(204).end();
  });
  router.get('/status.json', limited, async (_req, res) => {
    // Changes made by other workers arrive by pub/sub within milliseconds; the page also reads
    // the shared state, at most once per STATUS_REFRESH_MS however many pages are open.
    const [, fleet] = await Promise.all([o.refreshShared(), o.fleet.view()]);
    const t = o.now();
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      service: 'hospital-demo',
      worker: o.workerId,
      time: new Date(t).toISOString(),
      sharedState: Boolean(o.redis),
      fleet: {
        shared: fleet.shared,
        truncated: fleet.truncated,
        workers: fleet.workers.map((w) => ({
          id: w.id,
          worker: w.worker,
          at: w.at,
          redis: w.redis,
          breakers: w.breakers.map((b) => ({ name: b.name, state: b.state })),
        })),
      },
      breakers: o.layers.hospitalApi.breakers.map(breakerView),
      outbound: {
        limit: config.outboundRateLimit,
        windowMs: config.outboundWindowMs,
        usedInWindow: o.activity.outboundUsed(config.outboundWindowMs),
        refused: o.activity.outboundRefusals,
      },
      inbound: {
        limit: config.inboundRateLimit,
        windowMs: config.inboundWindowMs,
        rejected: o.activity.inboundRejections,
      },
      retries: o.activity.retries,
      policy: {
        retryMaxAttempts: config.retryMaxAttempts,
        breakerFailureThreshold: config.breakerFailureThreshold,
        breakerResetTimeoutMs: config.breakerResetTimeoutMs,
        upstreamTimeoutMs: config.upstreamTimeoutMs,
      },
    });
  });
  return router;
}
