import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { withLogContext } from './context';
import { SafeLogger } from './safe-logger';

export interface RequestLoggerOptions {
  /** Where the access log goes. @default a new SafeLogger('http') */
  logger?: SafeLogger;
  /** The log message of every record. @default 'request' */
  message?: string;
  /** Requests not logged (for example health checks). Sync. @default none */
  skip?: (req: Request) => boolean;
  /**
   * Run the rest of the request inside `withLogContext({ requestId })`, so every record any
   * SafeLogger writes while serving it carries the `requestId`. `false`: only the access-log
   * record carries it, and no AsyncLocalStorage store is entered for the request (on Node 20 an
   * active store makes every promise created in the request slower). @default true
   */
  context?: boolean;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The route pattern that served the request (never the raw path, which can carry identifiers). */
export function routeOf(req: Request, res: Response): string {
  const route = req.route as { path?: unknown } | undefined;
  if (!route?.path) return 'unmatched';
  const path = Array.isArray(route.path) ? route.path.map(String).join('|') : String(route.path);
  const base = (res.locals.routeBase as string | undefined) ?? req.baseUrl ?? '';
  return `${base}${path}`;
}

/**
 * Express access log without PHI: method, route pattern, status, duration, request id, bytes.
 * Never the path's values, the query string, headers (so no Authorization or cookies) or bodies.
 * The rest of the request runs inside `withLogContext({ requestId })`, so every record any
 * SafeLogger writes while serving it carries the same `requestId`.
 */
export function requestLogger(options: RequestLoggerOptions = {}): RequestHandler {
  if (options === null || typeof options !== 'object')
    throw new TypeError('requestLogger: options must be an object');
  if (options.logger !== undefined && typeof options.logger?.info !== 'function')
    throw new TypeError('requestLogger: logger must be a SafeLogger');
  if (options.skip !== undefined && typeof options.skip !== 'function')
    throw new TypeError('requestLogger: skip must be a function');
  if (options.context !== undefined && typeof options.context !== 'boolean')
    throw new TypeError('requestLogger: context must be a boolean');
  const context = options.context ?? true;
  const logger = options.logger ?? new SafeLogger('http');
  const { skip } = options;
  const message = options.message ?? 'request';
  return (req: Request, res: Response, next: NextFunction) => {
    if (skip?.(req)) return next();
    const started = process.hrtime.bigint();
    const headerId = req.headers['x-request-id'];
    const contextId =
      (res.locals.requestId as string | undefined) ??
      (typeof headerId === 'string' && REQUEST_ID.test(headerId) ? headerId : randomUUID());
    res.once('finish', () => {
      const requestId = (res.locals.requestId as string | undefined) ?? contextId;
      const length = Number(res.getHeader('content-length'));
      // Built field by field (no spread of a temporary object per optional field): this runs
      // for every request.
      const fields: Record<string, unknown> = {
        method: req.method,
        route: routeOf(req, res),
        status: res.statusCode,
        durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100,
      };
      if (requestId) fields.requestId = requestId;
      if (Number.isFinite(length)) fields.bytes = length;
      logger.info(message, fields);
    });
    if (context) withLogContext({ requestId: contextId }, () => next());
    else next();
  };
}
