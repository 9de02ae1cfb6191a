import type { RequestHandler } from 'express';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * helmet configured for a JSON API: `Content-Security-Policy: default-src 'none';
 * frame-ancestors 'none'`, HSTS (1 year, subdomains), `X-Content-Type-Options: nosniff`, no
 * `X-Powered-By`, `Referrer-Policy: no-referrer`, `Cross-Origin-Resource-Policy: same-origin`,
 * `X-Frame-Options: DENY`. Any helmet option passed here replaces ours.
 */
export function securityHeaders(options: HelmetOptions = {}): RequestHandler {
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
  const merged: Record<string, unknown> = { ...ours, ...options };
  // Stryker disable next-line ConditionalExpression: without hsts, deleting ours leaves helmet's equal default
  if ('hsts' in options) delete merged.strictTransportSecurity;
  if ('frameguard' in options) delete merged.xFrameOptions;
  return helmet(merged as HelmetOptions) as unknown as RequestHandler;
}
