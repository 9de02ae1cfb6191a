// TODO(interim): delete when @resil/sanitize lands; src/resil.ts then re-exports the package.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { type ValidationChain, validationResult } from 'express-validator';
import helmet from 'helmet';

// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

export function sanitizeInput(value: string): string {
  return value.replace(CONTROL, '').replace(/[<>]/g, '').trim();
}

function clean(v: unknown, depth: number): unknown {
  if (depth > 10) return undefined;
  if (typeof v === 'string') return v.replace(CONTROL, '');
  if (Array.isArray(v)) return v.map((x) => clean(x, depth + 1));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k.startsWith('$') || k.includes('.')) continue;
      if (k === '__proto__' || k === 'constructor' || k === 'prototype') continue;
      out[k] = clean(x, depth + 1);
    }
    return out;
  }
  return v;
}

export function sanitizeRequest(): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (req.body !== undefined) req.body = clean(req.body, 0);
    next();
  };
}

export function validate(chains: ValidationChain[]): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    for (const c of chains) await c.run(req);
    const result = validationResult(req);
    if (result.isEmpty()) return next();
    const errors = result
      .array()
      .map((e) => ({ field: e.type === 'field' ? e.path : e.type, message: String(e.msg) }));
    res
      .status(422)
      .type('application/problem+json')
      .send(
        JSON.stringify({
          type: 'about:blank',
          title: 'Validation failed',
          status: 422,
          errors,
        }),
      );
  };
}

export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
  });
}
