// TODO(interim): delete when @resil/idempotency lands; src/resil.ts then re-exports the package.
// Memory only: not shared between workers, no lease expiry.
import { createHash } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

export interface IdempotencyOptions {
  redis?: unknown;
  keyPrefix?: string;
  scope?: (req: Request) => string;
  ttlMs?: number;
}

interface Entry {
  fingerprint: string;
  done?: { status: number; headers: Record<string, string>; body: string };
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

function problem(res: Response, status: number, title: string): void {
  res
    .status(status)
    .type('application/problem+json')
    .send(JSON.stringify({ type: 'about:blank', title, status }));
}

/** The key an upstream call should carry for this request (scope + key, hashed). */
export function idempotencyKeyFor(req: Request, scope?: string): string | undefined {
  const key = req.get('Idempotency-Key');
  if (!key) return undefined;
  return createHash('sha256')
    .update(`${scope ?? ''}\n${key}`)
    .digest('hex')
    .slice(0, 32);
}

export function idempotency(options: IdempotencyOptions = {}): RequestHandler {
  const store = new Map<string, Entry>();
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'POST' && req.method !== 'PATCH') return next();
    const key = req.get('Idempotency-Key');
    if (!key) return problem(res, 400, 'Idempotency-Key header required');
    if (key.length > 255) return problem(res, 400, 'Idempotency-Key too long');
    const id = `${options.scope?.(req) ?? ''}\n${req.method} ${req.baseUrl}${req.path}\n${key}`;
    const fp = createHash('sha256')
      .update(JSON.stringify(canonical(req.body ?? null)))
      .digest('hex');
    const existing = store.get(id);
    if (existing) {
      if (existing.fingerprint !== fp) {
        return problem(res, 422, 'Idempotency-Key reused with a different payload');
      }
      if (!existing.done)
        return problem(res, 409, 'A request with this Idempotency-Key is in progress');
      for (const [h, v] of Object.entries(existing.done.headers)) res.setHeader(h, v);
      res.setHeader('Idempotent-Replayed', 'true');
      res.status(existing.done.status).send(existing.done.body);
      return;
    }
    const entry: Entry = { fingerprint: fp };
    store.set(id, entry);
    const send = res.send.bind(res);
    res.send = (body?: unknown) => {
      if (res.statusCode >= 500) store.delete(id);
      else {
        const ct = res.getHeader('content-type');
        entry.done = {
          status: res.statusCode,
          headers: ct ? { 'content-type': String(ct) } : {},
          body: typeof body === 'string' ? body : JSON.stringify(body),
        };
      }
      return send(body);
    };
    res.on('close', () => {
      if (!entry.done) store.delete(id);
    });
    next();
  };
}
