import { SpanKind, trace } from '@opentelemetry/api';
import {
  isUpstreamHttpError,
  isUpstreamNetworkError,
  toNetworkError,
  UpstreamHttpError,
  UpstreamNetworkError,
} from './errors';
import type { Endpoint } from './hospital-api-types';
import { OWNER_HEADER } from './registry/protocol';
import { type CallContext, type RateLimiter, TIMEOUT_ERROR_CODE } from './resil';
import { failSpan } from './telemetry/tracing';

export interface UpstreamCallOptions {
  baseUrl: string;
  limiter: RateLimiter;
  limiterMaxWaitMs: number;
  /** Called after each HTTP attempt (metrics). */
  onCall?: (endpoint: Endpoint, outcome: string) => void;
}

/** Why an attempt failed, in words safe for logs and metrics labels. */
export function reasonOf(err: unknown): string {
  if (isUpstreamHttpError(err)) return `http_${err.status}`;
  if (isUpstreamNetworkError(err)) return err.code;
  return (err as { name?: string } | null)?.name ?? 'error';
}

const tracer = trace.getTracer('hospital-demo');

/** One request to the registry. */
export interface RegistryRequest {
  endpoint: Endpoint;
  method: string;
  path: string;
  owner: string;
  body?: unknown;
  idempotencyKey?: string;
}

/** One attempt; receives the call context (its signal aborts the request) as its last argument. */
export type Attempt = (req: RegistryRequest, ctx?: CallContext) => Promise<unknown>;

/** A time-out of @resil/retry's `timeout()` as the registry's own ETIMEDOUT network error. */
function asNetworkError(endpoint: Endpoint, err: unknown): unknown {
  return (err as { code?: unknown } | null)?.code === TIMEOUT_ERROR_CODE
    ? new UpstreamNetworkError(endpoint, 'ETIMEDOUT', { cause: err })
    : err;
}

/**
 * The wrapper around each attempt (a `compose` step, inside retry, outside `timeout()`): a CLIENT
 * span (method, path template, status; never the id or the body), an outbound token (the
 * limiter's `granted` event lands on this span, with the wait; the wait is not part of the
 * attempt's time limit), then the attempt. A time-out becomes an UpstreamNetworkError ETIMEDOUT,
 * the shape the retry classifier, the breaker and the error handler read.
 */
export function outboundAttempt(o: UpstreamCallOptions): (fn: Attempt) => Attempt {
  return (fn) => (req, ctx) =>
    tracer.startActiveSpan(
      `${req.method} ${req.endpoint}`,
      {
        kind: SpanKind.CLIENT,
        attributes: { 'http.request.method': req.method, 'hospital.endpoint': req.endpoint },
      },
      async (span) => {
        try {
          await o.limiter.acquire({ timeoutMs: o.limiterMaxWaitMs });
          const out = await (ctx ? fn(req, ctx) : fn(req)).catch((err: unknown) => {
            const e = asNetworkError(req.endpoint, err);
            o.onCall?.(req.endpoint, reasonOf(e));
            throw e;
          });
          o.onCall?.(req.endpoint, 'ok');
          return out;
        } catch (err) {
          failSpan(span, err);
          throw err;
        } finally {
          span.end();
        }
      },
    );
}

/**
 * The HTTP request of one attempt: `fetch` with the call context's signal (a time-out, the
 * caller's abort or the retry giving up closes the connection). A non-2xx answer is an
 * UpstreamHttpError, a failed connection an UpstreamNetworkError.
 */
export function sendRequest(baseUrl: string): Attempt {
  return async (req, ctx) => {
    const headers: Record<string, string> = {
      accept: 'application/json',
      [OWNER_HEADER]: req.owner,
    };
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    if (req.idempotencyKey) headers['idempotency-key'] = req.idempotencyKey;
    let res: Response;
    try {
      res = await fetch(`${baseUrl}${req.path}`, {
        method: req.method,
        headers,
        ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
        ...(ctx ? { signal: ctx.signal } : {}),
      });
    } catch (err) {
      throw toNetworkError(req.endpoint, err);
    }
    trace.getActiveSpan()?.setAttribute('http.response.status_code', res.status);
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      throw new UpstreamHttpError(req.endpoint, res.status, res.headers);
    }
    try {
      return res.status === 204 ? undefined : await res.json();
    } catch (err) {
      throw toNetworkError(req.endpoint, err);
    }
  };
}
