import { randomUUID } from 'node:crypto';
import type { Express, NextFunction, Request, Response } from 'express';
import type { Config } from './config';
import type { Metrics } from './metrics';
import { requestLogger, type SafeLogger, securityHeaders } from './resil';
import { routeOf } from './telemetry/http';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * What every app of the demo (public and operator) does first: a request id (the caller's when
 * well-formed, else a new one), security headers, one log line per request, the request-duration
 * histogram, and `GET /healthz`.
 */
export function front(
  a: Express,
  o: { config: Config; logger: SafeLogger; metrics: Metrics },
): void {
  a.disable('x-powered-by');
  a.set('trust proxy', o.config.trustProxy);
  a.use((req: Request, res: Response, next: NextFunction) => {
    const given = req.get('x-request-id');
    const id = given && REQUEST_ID.test(given) ? given : randomUUID();
    res.locals.requestId = id;
    res.setHeader('X-Request-Id', id);
    next();
  });
  a.use(securityHeaders());
  a.use(requestLogger({ logger: o.logger }));
  a.use((req: Request, res: Response, next: NextFunction) => {
    const end = o.metrics.httpDuration.startTimer();
    res.on('finish', () => {
      end({ method: req.method, route: routeOf(req, res), status: String(res.statusCode) });
    });
    next();
  });
  a.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
}

/** Express resets req.baseUrl when an error leaves a router: keep it for logs and metrics. */
export function keepBase(req: Request, res: Response, next: NextFunction): void {
  res.locals.routeBase = req.baseUrl;
  next();
}
