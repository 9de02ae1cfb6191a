import { SpanKind, trace } from '@opentelemetry/api';
import {
  isUpstreamHttpError,
  isUpstreamNetworkError,
  toNetworkError,
  UpstreamHttpError,
} from './errors';
import type { Endpoint } from './hospital-api-client';
import { OWNER_HEADER } from './registry/protocol';
import type { RateLimiter } from './resil';
import { failSpan } from './telemetry/tracing';

export interface UpstreamCallOptions {
  baseUrl: string;
  /** Per-attempt timeout: AbortSignal.timeout. */
  timeoutMs: number;
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

/**
 * One attempt of a registry call: a CLIENT span (method, path template, status; never the id or
 * the body), an outbound token (the limiter's `granted` event lands on this span, with the wait),
 * then the HTTP request with its own timeout. A non-2xx answer is an UpstreamHttpError, a failed
 * connection an UpstreamNetworkError: the shapes the retry classifier reads.
 */
export function upstreamCall(o: UpstreamCallOptions) {
  return (
    endpoint: Endpoint,
    method: string,
    path: string,
    owner: string,
    body?: unknown,
    idempotencyKey?: string,
  ): Promise<unknown> =>
    tracer.startActiveSpan(
      `${method} ${endpoint}`,
      {
        kind: SpanKind.CLIENT,
        attributes: { 'http.request.method': method, 'hospital.endpoint': endpoint },
      },
      async (span) => {
        try {
          await o.limiter.acquire({ timeoutMs: o.limiterMaxWaitMs });
          const out = await send(o, endpoint, method, path, owner, body, idempotencyKey, (s) =>
            span.setAttribute('http.response.status_code', s),
          ).catch((err: unknown) => {
            o.onCall?.(endpoint, reasonOf(err));
            throw err;
          });
          o.onCall?.(endpoint, 'ok');
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

async function send(
  o: UpstreamCallOptions,
  endpoint: Endpoint,
  method: string,
  path: string,
  owner: string,
  body: unknown,
  idempotencyKey: string | undefined,
  status: (s: number) => void,
): Promise<unknown> {
  const headers: Record<string, string> = { accept: 'application/json', [OWNER_HEADER]: owner };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
  let res: Response;
  try {
    res = await fetch(`${o.baseUrl}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(o.timeoutMs),
    });
  } catch (err) {
    throw toNetworkError(endpoint, err);
  }
  status(res.status);
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new UpstreamHttpError(endpoint, res.status, res.headers);
  }
  try {
    return res.status === 204 ? undefined : await res.json();
  } catch (err) {
    throw toNetworkError(endpoint, err);
  }
}
