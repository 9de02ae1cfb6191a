// TODO(interim): delete when @resil/ratelimit lands; src/resil.ts then re-exports the package.
// With `redis`, the counters are shared by every worker (one EVAL per call, Redis TIME); when
// Redis fails they fall back to this process's memory.
import { createHash } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Redis } from 'ioredis';

const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;
// KEYS[1]; ARGV spacing ms, max wait ms. Returns the wait in ms, or -1 when it exceeds the max.
const SPACE = `${NOW}
local nextAt = tonumber(redis.call('GET', KEYS[1]) or '0')
local at = math.max(now, nextAt)
local wait = at - now
if wait > tonumber(ARGV[2]) then return -1 end
redis.call('SET', KEYS[1], tostring(at + tonumber(ARGV[1])), 'PX', math.ceil(wait + tonumber(ARGV[1]) + 1000))
return math.ceil(wait)`;
// KEYS[1]; ARGV window ms. Returns {count, pttl}.
const WINDOW = `local c = redis.call('INCR', KEYS[1])
if c == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {c, redis.call('PTTL', KEYS[1])}`;

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
  const redis = options.redis as Redis | undefined;
  const key = `${options.keyPrefix ?? 'resil:'}{demo-outbound:${name}}`;
  let nextFreeAt = 0;
  return {
    name,
    points,
    durationMs,
    async acquire(opts = {}) {
      if (redis) {
        const maxWait = opts.timeoutMs ?? 3_600_000;
        const waitMs = await (redis.eval(SPACE, 1, key, spacing, maxWait) as Promise<number>).catch(
          () => undefined,
        );
        if (waitMs !== undefined) {
          if (waitMs < 0) throw new RateLimitTimeoutError();
          if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
          return;
        }
      }
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
  const redis = options.redis as Redis | undefined;
  const local = (key: string) => {
    const now = Date.now();
    let w = windows.get(key);
    if (!w || now - w.start >= options.durationMs) {
      w = { start: now, count: 0 };
      windows.set(key, w);
    }
    w.count++;
    return { count: w.count, resetMs: w.start + options.durationMs - now };
  };
  return async (req: Request, res: Response, next: NextFunction) => {
    const key = options.key?.(req) ?? req.ip ?? 'unknown';
    let w: { count: number; resetMs: number } | undefined;
    if (redis) {
      const hashed = createHash('sha256').update(key).digest('hex').slice(0, 16);
      const r = await (
        redis.eval(
          WINDOW,
          1,
          `${options.keyPrefix ?? 'resil:'}{demo-inbound:${hashed}}`,
          options.durationMs,
        ) as Promise<[number, number]>
      ).catch(() => undefined);
      if (r) w = { count: Number(r[0]), resetMs: Number(r[1]) };
    }
    w ??= local(key);
    const resetS = Math.max(1, Math.ceil(w.resetMs / 1000));
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
