import { CORE_ERROR_CODES, OptionRangeError, OptionTypeError } from '@resil/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet, { type HelmetOptions } from 'helmet';

export type SecurityHeadersOptions = HelmetOptions & {
  /**
   * `Cache-Control` for every response (responses with PHI must not be stored by proxies or
   * browsers): a header value, or `false` to send none. A `Cache-Control` already set when this
   * middleware runs is kept; a handler that sets its own later replaces it. @default 'no-store'
   */
  cacheControl?: string | false;
};

/** Visible ASCII and spaces only: a header value that cannot split the response. */
const HEADER_VALUE = /^[\x20-\x7e]+$/;

function cacheControlOption(value: unknown): string | false {
  if (value === undefined) return 'no-store';
  if (value !== false && typeof value !== 'string')
    throw new OptionTypeError(
      CORE_ERROR_CODES.OPTION_TYPE,
      'cacheControl',
      'securityHeaders: cacheControl must be a string or false',
    );
  if (value !== false && !HEADER_VALUE.test(value))
    throw new OptionRangeError(
      'cacheControl',
      'securityHeaders: cacheControl must be a non-empty header value of visible ASCII characters',
    );
  return value;
}

/**
 * helmet configured for a JSON API: `Content-Security-Policy: default-src 'none';
 * frame-ancestors 'none'`, HSTS (1 year, subdomains), `X-Content-Type-Options: nosniff`, no
 * `X-Powered-By`, `Referrer-Policy: no-referrer`, `Cross-Origin-Resource-Policy: same-origin`,
 * `X-Frame-Options: DENY`, and `Cache-Control: no-store` (option `cacheControl`, kept when a
 * `Cache-Control` is already set). Any helmet option passed here replaces ours.
 */
export function securityHeaders(options: SecurityHeadersOptions = {}): RequestHandler {
  const { cacheControl: given, ...helmetOptions } = options;
  const cacheControl = cacheControlOption(given);
  const ours = {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
    // Stryker disable next-line ObjectLiteral: equals helmet 8's default, kept explicit so that a helmet upgrade cannot change our headers
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
    // Stryker disable next-line ObjectLiteral: equals helmet 8's default, kept explicit so that a helmet upgrade cannot change our headers
    referrerPolicy: { policy: 'no-referrer' },
    // Stryker disable next-line ObjectLiteral: equals helmet 8's default, kept explicit so that a helmet upgrade cannot change our headers
    crossOriginResourcePolicy: { policy: 'same-origin' },
    xFrameOptions: { action: 'deny' },
  };
  // A user's alias (`hsts`, `frameguard`) replaces our long-named setting of the same header.
  const merged: Record<string, unknown> = { ...ours, ...helmetOptions };
  // Stryker disable next-line ConditionalExpression: without hsts, deleting ours leaves helmet's equal default
  if ('hsts' in helmetOptions) delete merged.strictTransportSecurity;
  if ('frameguard' in helmetOptions) delete merged.xFrameOptions;
  const headers = helmet(merged as HelmetOptions) as unknown as RequestHandler;
  if (cacheControl === false) return headers;
  return function resilSecurityHeaders(req: Request, res: Response, next: NextFunction) {
    if (!res.hasHeader('Cache-Control')) res.setHeader('Cache-Control', cacheControl);
    headers(req, res, next);
  };
}
