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
  const fixed = hasFunction(merged, 0) ? undefined : recordHeaders(headers);
  if (fixed === undefined) {
    if (cacheControl === false) return headers;
    return function resilSecurityHeaders(req: Request, res: Response, next: NextFunction) {
      if (!res.hasHeader('Cache-Control')) res.setHeader('Cache-Control', cacheControl);
      headers(req, res, next);
    };
  }
  // Options without a function (no per-request nonce): helmet's headers are the same for every
  // request, so the calls it made once are replayed, in its order, instead of running its 13
  // middlewares and building the Content-Security-Policy value again on every request.
  const names = fixed.map((op) => op.name);
  const values = fixed.map((op) => op.value);
  const count = fixed.length;
  return function resilSecurityHeaders(_req: Request, res: Response, next: NextFunction) {
    if (cacheControl !== false && !res.hasHeader('Cache-Control'))
      res.setHeader('Cache-Control', cacheControl);
    for (let i = 0; i < count; i++) {
      const value = values[i];
      if (value === undefined) res.removeHeader(names[i] as string);
      else res.setHeader(names[i] as string, value);
    }
    next();
  };
}

/** True when the options hold a function anywhere (a CSP nonce directive): headers per request. */
function hasFunction(value: unknown, depth: number): boolean {
  if (typeof value === 'function') return true;
  if (value === null || typeof value !== 'object') return false;
  // Options deeper than this are not helmet's: treat them as dynamic (helmet runs per request).
  if (depth > 8) return true;
  for (const v of Array.isArray(value) ? value : Object.values(value))
    if (hasFunction(v, depth + 1)) return true;
  return false;
}

interface HeaderOp {
  name: string;
  /** undefined: `removeHeader(name)`. */
  value: string | string[] | undefined;
}

/**
 * The header calls helmet's middleware makes, recorded once on a stand-in response; undefined
 * (helmet then runs per request) when it does anything else: reads the request or the response,
 * calls another method, passes an error, or does not call `next` synchronously.
 */
function recordHeaders(headers: RequestHandler): HeaderOp[] | undefined {
  const ops: HeaderOp[] = [];
  let other = false;
  const methods: Record<string, unknown> = {
    setHeader(name: unknown, value: unknown) {
      if (
        typeof name !== 'string' ||
        !(
          typeof value === 'string' ||
          (Array.isArray(value) && value.every((v) => typeof v === 'string'))
        )
      )
        other = true;
      else ops.push({ name, value: Array.isArray(value) ? [...value] : value });
    },
    removeHeader(name: unknown) {
      if (typeof name !== 'string') other = true;
      else ops.push({ name, value: undefined });
    },
  };
  const watch = (target: Record<string, unknown>) =>
    new Proxy(target, {
      get(t, key) {
        if (typeof key === 'string' && Object.hasOwn(t, key)) return t[key];
        other = true;
        return undefined;
      },
      set() {
        other = true;
        return true;
      },
      has() {
        other = true;
        return false;
      },
    });
  let passed = false;
  try {
    headers(
      watch({}) as unknown as Request,
      watch(methods) as unknown as Response,
      ((err?: unknown) => {
        if (err === undefined) passed = true;
        else other = true;
      }) as NextFunction,
    );
  } catch {
    return undefined;
  }
  return passed && !other ? ops : undefined;
}
