import { type ProblemDetails, sendProblem } from '@resil/core';
import type { NextFunction, Request, Response } from 'express';
import { SANITIZE_PROBLEMS, sanitizeProblem } from './problems';

const TOO_LARGE = 'The request body is larger than this endpoint accepts.';
const UNREADABLE = 'The request body could not be read.';
const ENCODING = 'The request body uses an unsupported charset or content encoding.';

/**
 * The problem details (RFC 9457) for an error of body-parser (`express.json()`, `urlencoded()`,
 * `raw()`, `text()`), by its `type`: `entity.too.large` 413, `entity.parse.failed` 400,
 * `charset.unsupported` / `encoding.unsupported` 415, `request.aborted` /
 * `request.size.invalid` / `stream.encoding.set` 400. Undefined for anything else. For an app
 * that writes its own error responses (adds `instance`, logs, ...): send it with core's
 * `sendProblem(res, details)`. Nothing of the request or the error's message is in it.
 */
export function bodyErrorProblem(err: unknown): ProblemDetails | undefined {
  const type =
    typeof err === 'object' && err !== null ? (err as { type?: unknown }).type : undefined;
  switch (type) {
    case 'entity.too.large':
      return sanitizeProblem(
        SANITIZE_PROBLEMS.BODY_TOO_LARGE,
        413,
        'Request body too large',
        TOO_LARGE,
      );
    case 'entity.parse.failed':
      return sanitizeProblem(
        SANITIZE_PROBLEMS.MALFORMED_JSON,
        400,
        'Malformed JSON',
        'The request body is not valid JSON.',
      );
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return sanitizeProblem(
        SANITIZE_PROBLEMS.UNSUPPORTED_BODY_ENCODING,
        415,
        'Unsupported body encoding',
        ENCODING,
      );
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return sanitizeProblem(
        SANITIZE_PROBLEMS.UNREADABLE_BODY,
        400,
        'Bad request body',
        UNREADABLE,
      );
    default:
      return undefined;
  }
}

/**
 * An error handler for body-parser's errors (express.json(), urlencoded()): answers
 * `bodyErrorProblem(err)` as problem+json (core's `sendProblem`), without Express's HTML page or a
 * stack trace; any other error, or one after the headers were sent, goes to the next handler.
 * Register it after the routes.
 */
export function bodyErrors() {
  return function resilBodyErrors(err: unknown, _req: Request, res: Response, next: NextFunction) {
    const details = res.headersSent ? undefined : bodyErrorProblem(err);
    if (details === undefined) return next(err);
    sendProblem(res, details);
  };
}
