import type { Express, NextFunction, Request, Response } from 'express';
import { isUpstreamHttpError, isUpstreamNetworkError, sendProblem } from './errors';
import {
  bodyErrorProblem,
  isCircuitOpenError,
  isRateLimitError,
  RATELIMIT_ERROR_CODES,
  type SafeLogger,
} from './resil';

/**
 * The end of every app of the demo: 404 for what no route matched, then every error as an
 * `application/problem+json` answer that echoes no input and no stack. A body that could not be
 * read (too large, not JSON, unknown charset) is answered with @resil/sanitize's problem for it
 * (`bodyErrorProblem`), plus the request id as `instance` like every other problem of the demo;
 * anything unexpected is a 500, logged with its name only.
 */
export function handleErrors(a: Express, logger: SafeLogger): void {
  a.use((_req: Request, res: Response) => sendProblem(res, 404, 'not-found', 'Not Found'));
  a.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    const problem = bodyErrorProblem(err);
    if (!problem || res.headersSent) return next(err);
    const id = res.locals.requestId as string | undefined;
    res
      .status(problem.status)
      .type('application/problem+json')
      .send(JSON.stringify({ ...problem, ...(id ? { instance: `urn:request:${id}` } : {}) }));
  });
  a.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return;
    if (!problemFor(err, res)) {
      logger.error('unhandled error', {
        requestId: res.locals.requestId,
        error: (err as { name?: string })?.name ?? 'unknown',
      });
      sendProblem(res, 500, 'internal', 'Internal Server Error');
    }
  });
}

/** Answers `err` when it is one the demo expects; false when it is not. */
function problemFor(err: unknown, res: Response): boolean {
  if (isCircuitOpenError(err)) {
    const waitS = Math.max(1, Math.ceil((err.retryAfterMs ?? 1000) / 1000));
    res.setHeader('Retry-After', String(waitS));
    sendProblem(
      res,
      503,
      'circuit-open',
      'Hospital registry unavailable',
      'the registry has been failing, so calls are refused for now; retry later with the same Idempotency-Key',
      { breaker: err.breakerName },
    );
  } else if (isUpstreamHttpError(err)) {
    if (err.status === 404) sendProblem(res, 404, 'not-found', 'Hospital not found');
    else if (err.status === 429) {
      res.setHeader('Retry-After', err.headers.get('retry-after') ?? '1');
      sendProblem(res, 503, 'upstream-busy', 'Hospital registry busy');
    } else
      sendProblem(
        res,
        502,
        'upstream-error',
        'Hospital registry error',
        `the registry answered ${err.status}`,
      );
  } else if (isUpstreamNetworkError(err)) {
    if (err.code === 'ETIMEDOUT')
      sendProblem(res, 504, 'upstream-timeout', 'Hospital registry timed out');
    else sendProblem(res, 502, 'upstream-unreachable', 'Hospital registry unreachable');
  } else if (isRateLimitError(err) && err.code === RATELIMIT_ERROR_CODES.TIMEOUT) {
    res.setHeader('Retry-After', '1');
    sendProblem(
      res,
      503,
      'outbound-limit',
      'Too busy',
      'no outbound capacity within the allowed wait',
    );
  } else {
    const status = (err as { status?: unknown })?.status;
    if (typeof status !== 'number' || status < 400 || status >= 500) return false;
    // Another client error (from Express or a parser): its status, a generic title.
    const title =
      status === 413
        ? 'Payload Too Large'
        : status === 415
          ? 'Unsupported Media Type'
          : 'Bad Request';
    sendProblem(res, status, 'bad-request', title);
  }
  return true;
}
