import { context, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { REQUEST_ID_ATTRIBUTE } from './tracing';

/** The route template of a finished request (`/hospitals/:id`), or `unmatched`. */
export function routeOf(req: Request, res: Response): string {
  const base = (res.locals.routeBase as string | undefined) ?? req.baseUrl;
  return req.route?.path ? `${base}${req.route.path}` : 'unmatched';
}

/**
 * One SERVER span per request, active for everything the request runs: the packages' span
 * events (limited, replayed, retry, circuit-opened, ...) land on it or on its children. The
 * request's emitters are bound to the span's context, so listeners added later (the body parser
 * reads the body on `data`/`end`) still run inside it. Attributes: method, route template,
 * status and the request id; never the URL, query or body.
 */
export function traceRequests(tracer: Tracer): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const span = tracer.startSpan(req.method, {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': req.method,
        [REQUEST_ID_ATTRIBUTE]: String(res.locals.requestId ?? ''),
      },
    });
    const ctx = trace.setSpan(context.active(), span);
    context.bind(ctx, req);
    context.bind(ctx, res);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      const route = routeOf(req, res);
      span.updateName(`${req.method} ${route}`);
      span.setAttribute('http.route', route);
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    };
    res.on('finish', end);
    res.on('close', end);
    context.with(ctx, next);
  };
}
