// TODO(interim): delete when @resil/idempotency lands; src/resil.ts then re-exports the package.
// With `redis`, records are shared by every worker (SET NX claim with a lease, then the stored
// response); when Redis fails, this process's memory is used instead.
import { createHash } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Redis } from 'ioredis';

export interface IdempotencyOptions {
  redis?: unknown;
  keyPrefix?: string;
  scope?: (req: Request) => string;
  ttlMs?: number;
  leaseMs?: number;
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
  const memory = new Map<string, Entry>();
  const redis = options.redis as Redis | undefined;
  const ttlMs = options.ttlMs ?? 86_400_000;
  const leaseMs = options.leaseMs ?? 60_000;
  const prefix = options.keyPrefix ?? 'resil:';
  const redisKey = (id: string) =>
    `${prefix}{demo-idem}:${createHash('sha256').update(id).digest('hex').slice(0, 32)}`;

  // Claims `id` (true) or returns the existing entry.
  async function claim(id: string, entry: Entry): Promise<true | Entry> {
    if (redis) {
      try {
        const ok = await redis.set(redisKey(id), JSON.stringify(entry), 'PX', leaseMs, 'NX');
        if (ok === 'OK') return true;
        const raw = await redis.get(redisKey(id));
        if (raw) return JSON.parse(raw) as Entry;
        return claim(id, entry);
      } catch {
        // Redis unreachable: memory below
      }
    }
    const existing = memory.get(id);
    if (existing) return existing;
    memory.set(id, entry);
    return true;
  }
  async function save(id: string, entry: Entry): Promise<void> {
    memory.set(id, entry);
    if (redis)
      await redis.set(redisKey(id), JSON.stringify(entry), 'PX', ttlMs).catch(() => undefined);
  }
  async function release(id: string): Promise<void> {
    memory.delete(id);
    if (redis) await redis.del(redisKey(id)).catch(() => undefined);
  }

  return async (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'POST' && req.method !== 'PATCH') return next();
    const key = req.get('Idempotency-Key');
    if (!key) return problem(res, 400, 'Idempotency-Key header required');
    if (key.length > 255) return problem(res, 400, 'Idempotency-Key too long');
    const id = `${options.scope?.(req) ?? ''}\n${req.method} ${req.baseUrl}${req.path}\n${key}`;
    const fp = createHash('sha256')
      .update(JSON.stringify(canonical(req.body ?? null)))
      .digest('hex');
    const entry: Entry = { fingerprint: fp };
    const existing = await claim(id, entry);
    if (existing !== true) {
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
    const send = res.send.bind(res);
    let finished = false;
    res.send = (body?: unknown) => {
      finished = true;
      if (res.statusCode >= 500) void release(id);
      else {
        const ct = res.getHeader('content-type');
        entry.done = {
          status: res.statusCode,
          headers: ct ? { 'content-type': String(ct) } : {},
          body: typeof body === 'string' ? body : JSON.stringify(body),
        };
        void save(id, entry);
      }
      return send(body);
    };
    res.on('close', () => {
      if (!finished) void release(id);
    });
    next();
  };
}
