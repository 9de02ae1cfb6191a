// TODO(interim): delete when @resil/retry lands; src/resil.ts then re-exports the package.
import { type AnyAsyncFn, makeWrapper, type WrapperDecorator } from './wrap';

export interface RetryEvent {
  attempt: number;
  delayMs: number;
  error: unknown;
}

export interface RetryOptions {
  maxAttempts?: number;
  minDelayMs?: number;
  maxDelayMs?: number;
  factor?: number;
  maxRetryAfterMs?: number;
  onRetry?: (event: RetryEvent) => void;
}

const RETRY_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);
const RETRY_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'ECONNREFUSED', 'EAI_AGAIN', 'EPIPE']);

export function isRetryable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; status?: unknown; name?: unknown };
  if (e.name === 'CircuitOpenError') return false;
  if (typeof e.status === 'number') return RETRY_STATUS.has(e.status);
  return typeof e.code === 'string' && RETRY_CODES.has(e.code);
}

function retryAfterMs(err: unknown): number | undefined {
  const h = (err as { headers?: unknown })?.headers;
  const raw = h instanceof Headers ? h.get('retry-after') : undefined;
  if (!raw) return undefined;
  if (/^\d+$/.test(raw)) return Number(raw) * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export function retryable(options: RetryOptions = {}): WrapperDecorator<{ retry: RetryOptions }> {
  const policy = Object.freeze({
    maxAttempts: 3,
    minDelayMs: 2000,
    maxDelayMs: 10000,
    factor: 2,
    maxRetryAfterMs: 60000,
    ...options,
  });
  return makeWrapper(
    (fn: AnyAsyncFn) =>
      async function (this: unknown, ...args: unknown[]) {
        for (let attempt = 1; ; attempt++) {
          try {
            return await fn.apply(this, args);
          } catch (error) {
            if (attempt >= policy.maxAttempts || !isRetryable(error)) throw error;
            const ra = retryAfterMs(error);
            if (ra !== undefined && ra > policy.maxRetryAfterMs) throw error;
            const cap = Math.min(
              policy.maxDelayMs,
              policy.minDelayMs * policy.factor ** (attempt - 1),
            );
            const delayMs = ra ?? Math.round(cap / 2 + (Math.random() * cap) / 2);
            try {
              policy.onRetry?.({ attempt, delayMs, error });
            } catch {
              // a throwing listener never changes the outcome
            }
            await new Promise((r) => setTimeout(r, delayMs));
          }
        }
      },
    { retry: policy },
  );
}
