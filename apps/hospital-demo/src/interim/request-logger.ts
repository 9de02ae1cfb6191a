// TODO(interim): delete when @resil/safe-log exports requestLogger.

import type { SafeLogger } from '@resil/safe-log';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

export function requestLogger(options: { logger: SafeLogger }): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      options.logger.info('request', {
        method: req.method,
        // The route pattern, never the raw path or query (they may carry identifiers).
        route: req.route?.path
          ? `${(res.locals.routeBase as string | undefined) ?? req.baseUrl}${req.route.path as string}`
          : 'unmatched',
        status: res.statusCode,
        durationMs: Number(process.hrtime.bigint() - started) / 1e6,
        requestId: res.locals.requestId,
      });
    });
    next();
  };
}
