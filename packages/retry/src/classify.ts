/** HTTP statuses worth another attempt: timeouts, too early, too many requests, transient 5xx. */
export const RETRYABLE_STATUS: ReadonlySet<number> = new Set([408, 425, 429, 500, 502, 503, 504]);

/**
 * Network error codes worth another attempt. ENOTFOUND is left out on purpose: the name does not
 * exist, and asking again a second later rarely changes that (EAI_AGAIN is the transient DNS case).
 */
export const RETRYABLE_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ETIMEDOUT',
  'ECONNREFUSED',
  'EAI_AGAIN',
  'EPIPE',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  // undici (fetch) causes
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

const CIRCUIT_OPEN_CODES = new Set(['ECIRCUITOPEN', 'EOPENBREAKER', 'RESIL_BREAKER_OPEN']);

type Loose = {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  status?: unknown;
  statusCode?: unknown;
  response?: { status?: unknown; headers?: unknown } | null;
  headers?: unknown;
  cause?: unknown;
};

/** The HTTP status of an error in the fetch, axios, got and undici shapes, if any. */
export function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as Loose;
  for (const s of [e.status, e.statusCode, e.response?.status]) {
    if (typeof s === 'number' && Number.isInteger(s)) return s;
  }
  return undefined;
}

/** True for a circuit-open rejection of @resil/breaker (or opossum's EOPENBREAKER). */
export function isCircuitOpen(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as Loose;
  return (
    e.name === 'CircuitOpenError' || (typeof e.code === 'string' && CIRCUIT_OPEN_CODES.has(e.code))
  );
}

/** True for a caller's abort (AbortError). A timeout (TimeoutError) is not an abort. */
export function isAbort(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as Loose).name === 'AbortError';
}

function networkCode(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 3) return false;
  const e = err as Loose;
  if (typeof e.code === 'string' && RETRYABLE_CODES.has(e.code)) return true;
  if (e.message === 'socket hang up') return true;
  return networkCode(e.cause, depth + 1);
}

/**
 * The default classifier. Retried: network errors (ECONNRESET, ETIMEDOUT, ECONNREFUSED, EAI_AGAIN,
 * EPIPE, socket hang up, and fetch's `TypeError: fetch failed` whose cause is one of them), a
 * timeout (`TimeoutError`, e.g. from `AbortSignal.timeout`), and HTTP 408, 425, 429, 500, 502, 503,
 * 504. Never retried: other 4xx, a circuit-open error, an abort, and anything else (programmer
 * errors, validation errors).
 */
export function isRetryable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  if (isCircuitOpen(err) || isAbort(err)) return false;
  const status = statusOf(err);
  if (status !== undefined) return RETRYABLE_STATUS.has(status);
  if ((err as Loose).name === 'TimeoutError') return true;
  return networkCode(err);
}

function header(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  if (typeof (headers as Headers).get === 'function') {
    const v = (headers as Headers).get(name);
    return v ?? undefined;
  }
  for (const [k, v] of Object.entries(headers as Record<string, unknown>)) {
    if (k.toLowerCase() !== name) continue;
    if (Array.isArray(v)) return typeof v[0] === 'string' ? v[0] : undefined;
    return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
  }
  return undefined;
}

/** Milliseconds asked by a `Retry-After` header on the error (seconds or HTTP-date), if any. */
export function retryAfterMsOf(err: unknown, now: number): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as Loose;
  const raw = header(e.headers, 'retry-after') ?? header(e.response?.headers, 'retry-after');
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A short, payload-free description of an error for logs: "HTTP 503", "ECONNRESET", "TypeError". */
export function describe(err: unknown): string {
  const status = statusOf(err);
  if (status !== undefined) return `HTTP ${status}`;
  if (typeof err === 'object' && err !== null) {
    const e = err as Loose;
    if (typeof e.code === 'string' && /^[A-Z0-9_]{2,40}$/.test(e.code)) return e.code;
    const causeCode = (e.cause as Loose | undefined)?.code;
    if (typeof causeCode === 'string' && /^[A-Z0-9_]{2,40}$/.test(causeCode)) return causeCode;
    if (typeof e.name === 'string' && /^[A-Za-z]{1,40}$/.test(e.name)) return e.name;
  }
  return 'an error';
}
