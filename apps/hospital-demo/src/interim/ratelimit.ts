// TODO(interim): delete when @resil/ratelimit lands; src/resil.ts then re-exports the package.
// Memory only: not shared between workers.
import type { NextFunction, Request, RequestHandler, Response } from 'express';

export interface RateLimiterOptions {
  name: string;
  points: number;
  durationMs: number;
  redis?: unknown;
  keyPrefix?: string;
}

export class RateLimitTimeoutError extends Error {
  readonly code = 'RESIL_RATELIMIT_TIMEOUT';
  constructor() {
    super('no rate-limit token within the allowed wait');
    this.name = 'RateLimitTimeoutError';
  }
}

/** Outbound limiter: calls are spaced so that no window holds more than `points`. */
export interface RateLimiter {
  readonly name: string;
  readonly points: number;
  readonly durationMs: number;
  acquire(options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<void>;
  tryAcquire(): Promise<boolean>;
  close(): Promise<void>;
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { name, points, durationMs } = options;
  const spacing = durationMs / points;
  let nextFreeAt = 0;
  return {
    name,
    points,
    durationMs,
    async acquire(opts = {}) {
      const now = Date.now();
      const at = Math.max(now, nextFreeAt);
      const waitMs = at - now;
      if (opts.timeoutMs !== undefined && waitMs > opts.timeoutMs)
        throw new RateLimitTimeoutError();
      nextFreeAt = at + spacing;
      if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
    },
    async tryAcquire() {
      const now = Date.now();
      if (nextFreeAt > now) return false;
      nextFreeAt = now + spacing;
      return true;
    },
    async close() {},
  };
}

export interface RateLimitOptions {
  points: number;
  durationMs: number;
  redis?: unknown;
  keyPrefix?: string;
  key?: (req: Request) => string;
}

export function rateLimit(options: RateLimitOptions): RequestHandler {
  const windows = new Map<string, { start: number; count: number }>();
  return (req: Request, res: Response, next: NextFunction) => {
    const key = options.key?.(req) ?? req.ip ?? 'unknown';
    const now = Date.now();
    let w = windows.get(key);
    if (!w || now - w.start >= options.durationMs) {
      w = { start: now, count: 0 };
      windows.set(key, w);
    }
    w.count++;
    const resetS = Math.ceil((w.start + options.durationMs - now) / 1000);
    res.setHeader(
      'RateLimit-Policy',
      `${options.points};w=${Math.ceil(options.durationMs / 1000)}`,
    );
    res.setHeader(
      'RateLimit',
      `limit=${options.points}, remaining=${Math.max(0, options.points - w.count)}, reset=${resetS}`,
    );
    if (w.count > options.points) {
      res.setHeader('Retry-After', String(resetS));
      res
        .status(429)
        .type('application/problem+json')
        .send(JSON.stringify({ type: 'about:blank', title: 'Too Many Requests', status: 429 }));
      return;
    }
    next();
  };
}
