import type { Response } from 'express';

/**
 * The app's errors. Upstream failures keep the shape the retry classifier reads: `status` and
 * `headers` for an HTTP answer, a Node network `code` (ECONNRESET, ECONNREFUSED, ETIMEDOUT) for a
 * failed connection. Messages never contain request data.
 */

/** The registry answered with a non-2xx status. */
export class UpstreamHttpError extends Error {
  readonly code = 'RESIL_DEMO_UPSTREAM_STATUS';
  readonly status: number;
  /** The registry's response headers (Retry-After is read from here). */
  readonly headers: Headers;
  constructor(endpoint: string, status: number, headers: Headers) {
    super(`hospital registry ${endpoint}: HTTP ${status}`);
    this.name = 'UpstreamHttpError';
    this.status = status;
    this.headers = headers;
  }
}

export type NetworkCode = 'ECONNRESET' | 'ECONNREFUSED' | 'ETIMEDOUT' | 'EAI_AGAIN' | 'EPIPE';

/** The registry could not be reached, or did not answer within the per-call timeout. */
export class UpstreamNetworkError extends Error {
  /** The Node network code, as the retry classifier expects. */
  readonly code: NetworkCode;
  readonly reason = 'RESIL_DEMO_UPSTREAM_NETWORK';
  constructor(endpoint: string, code: NetworkCode, options?: { cause?: unknown }) {
    super(`hospital registry ${endpoint}: ${code}`, options);
    this.name = 'UpstreamNetworkError';
    this.code = code;
  }
}

export function isUpstreamHttpError(err: unknown): err is UpstreamHttpError {
  return (err as { code?: unknown } | null)?.code === 'RESIL_DEMO_UPSTREAM_STATUS';
}

export function isUpstreamNetworkError(err: unknown): err is UpstreamNetworkError {
  return (err as { reason?: unknown } | null)?.reason === 'RESIL_DEMO_UPSTREAM_NETWORK';
}

const NETWORK_CODES: Record<string, NetworkCode> = {
  ECONNRESET: 'ECONNRESET',
  ECONNREFUSED: 'ECONNREFUSED',
  ETIMEDOUT: 'ETIMEDOUT',
  EAI_AGAIN: 'EAI_AGAIN',
  EPIPE: 'EPIPE',
  UND_ERR_SOCKET: 'ECONNRESET',
  UND_ERR_CLOSED: 'ECONNRESET',
  UND_ERR_CONNECT_TIMEOUT: 'ETIMEDOUT',
  UND_ERR_HEADERS_TIMEOUT: 'ETIMEDOUT',
  UND_ERR_BODY_TIMEOUT: 'ETIMEDOUT',
};

/** Turns what fetch threw into an UpstreamNetworkError (or returns the caller's own abort). */
export function toNetworkError(endpoint: string, err: unknown): unknown {
  const e = err as { name?: unknown; cause?: { code?: unknown } } | null;
  if (e?.name === 'TimeoutError')
    return new UpstreamNetworkError(endpoint, 'ETIMEDOUT', { cause: err });
  if (e?.name === 'AbortError') return err;
  const raw = typeof e?.cause?.code === 'string' ? e.cause.code : '';
  return new UpstreamNetworkError(endpoint, NETWORK_CODES[raw] ?? 'ECONNRESET', { cause: err });
}

export const PROBLEM_BASE = 'https://github.com/resil/hospital-demo/problems/';

/** Sends an RFC 9457 problem. `extra` must not hold request data. */
export function sendProblem(
  res: Response,
  status: number,
  slug: string,
  title: string,
  detail?: string,
  extra?: Record<string, unknown>,
): void {
  res
    .status(status)
    .type('application/problem+json')
    .send(
      JSON.stringify({
        type: `${PROBLEM_BASE}${slug}`,
        title,
        status,
        ...(detail ? { detail } : {}),
        ...(res.locals.requestId ? { instance: `urn:request:${res.locals.requestId}` } : {}),
        ...extra,
      }),
    );
}
