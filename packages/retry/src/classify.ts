import { hasErrorCode, statusOf } from '@resil/core';

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

/** Codes of a circuit-open rejection besides @resil/breaker's `RESIL_BREAKER_OPEN`: its old code and opossum's. */
const CIRCUIT_OPEN_CODES = new Set(['ECIRCUITOPEN', 'EOPENBREAKER']);

type Loose = {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  response?: { headers?: unknown } | null;
  headers?: unknown;
  cause?: unknown;
};

/**
 * True for a circuit-open rejection of @resil/breaker (code `RESIL_BREAKER_OPEN`, read with core's
 * `hasErrorCode`, so any object carrying it counts), its old code `ECIRCUITOPEN`, opossum's
 * `EOPENBREAKER`, or an error named `CircuitOpenError`.
 */
export function isCircuitOpen(err: unknown): boolean {
  if (hasErrorCode(err, 'RESIL_BREAKER_OPEN')) return true;
  if (typeof err !== 'object' || err === null) return false;
  const e = err as Loose;
  // Set.has is false for anything but one of its strings: no typeof check needed.
  return e.name === 'CircuitOpenError' || CIRCUIT_OPEN_CODES.has(e.code as string);
}

/** True for a caller's abort (AbortError). A timeout (TimeoutError) is not an abort. */
export function isAbort(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as Loose).name === 'AbortError';
}

function networkCode(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 3) return false;
  const e = err as Loose;
  if (RETRYABLE_CODES.has(e.code as string)) return true;
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

/**
 * The default `isFailureResult`: true for a Response-like result (an object with a numeric
 * `status` and a `headers` field, as fetch's `Response` or an HTTP client's response) whose status
 * is one of RETRYABLE_STATUS (408, 425, 429, 500, 502, 503, 504). Anything else is a success.
 */
export function isFailureResponse(result: unknown): boolean {
  if (typeof result !== 'object' || result === null) return false;
  const r = result as { status?: unknown; headers?: unknown };
  return (
    typeof r.status === 'number' &&
    RETRYABLE_STATUS.has(r.status) &&
    typeof r.headers === 'object' &&
    r.headers !== null
  );
}

/** The one value of a header, or undefined when absent or given more than once. */
function header(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  if (typeof (headers as Headers).get === 'function') {
    // Headers joins a repeated field with ", ", which no Retry-After value contains: ignored below.
    const v = (headers as Headers).get(name);
    return v ?? undefined;
  }
  for (const [k, v] of Object.entries(headers as Record<string, unknown>)) {
    if (k.toLowerCase() !== name) continue;
    if (Array.isArray(v)) return v.length === 1 && typeof v[0] === 'string' ? v[0] : undefined;
    return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
  }
  return undefined;
}

/** The longest wait a Node.js timer holds (2^31 - 1 ms, about 24.8 days); setTimeout fires after 1 ms for anything longer. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

const DAY_NAMES: ReadonlySet<string> = new Set(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']);
const MONTHS: readonly string[] = [
  'Jan',
  'Feb',
  'Mar',
  'Apr',
  'May',
  'Jun',
  'Jul',
  'Aug',
  'Sep',
  'Oct',
  'Nov',
  'Dec',
];

/** The number written by `text[from, to)` if every character there is an ASCII digit, else -1. */
function digits(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/** Milliseconds since the epoch of an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), or undefined. */
function imfFixdate(text: string): number | undefined {
  // day-name "," SP day SP month SP year SP hour ":" minute ":" second SP "GMT": 29 characters
  // (the " GMT" read from index 25 to the end makes the length exactly 29).
  if (!DAY_NAMES.has(text.slice(0, 3)) || text.slice(3, 5) !== ', ') return undefined;
  if (text[7] !== ' ' || text[11] !== ' ' || text[16] !== ' ') return undefined;
  if (text[19] !== ':' || text[22] !== ':' || text.slice(25) !== ' GMT') return undefined;
  const month = MONTHS.indexOf(text.slice(8, 11));
  const day = digits(text, 5, 7);
  const year = digits(text, 12, 16);
  const hour = digits(text, 17, 19);
  const minute = digits(text, 20, 22);
  const second = digits(text, 23, 25);
  // An unknown month (-1) or day 00 is refused below: either shows as another month.
  if (year < 0 || hour < 0 || hour > 23 || minute < 0 || minute > 59) return undefined;
  if (second < 0 || second > 60) return undefined; // 60: a leap second
  // setUTCFullYear (unlike Date.UTC) takes years below 100 as written; it rolls 31 Feb over to
  // 3 Mar, so a day that does not exist in its month shows as another month and is refused.
  const at = new Date(0);
  at.setUTCFullYear(year, month, day);
  if (at.getUTCMonth() !== month) return undefined;
  return at.setUTCHours(hour, minute, second, 0);
}

/**
 * Milliseconds asked by a `Retry-After` value at time `now`, or undefined when the value is not one
 * of the two forms RFC 9110 defines: delay-seconds (ASCII digits only) or an IMF-fixdate. Leading
 * and trailing spaces and tabs are ignored; anything else (signs, fractions, exponents, lists from a
 * repeated header, the obsolete RFC 850 and asctime dates, lower-case names, impossible dates) is
 * refused. A date in the past is 0. The result is clamped to MAX_TIMER_MS. Linear in the length.
 */
export function parseRetryAfter(value: string, now: number): number | undefined {
  let start = 0;
  let end = value.length;
  while (value[start] === ' ' || value[start] === '\t') start++; // stops at the end (undefined)
  while (end > start && (value[end - 1] === ' ' || value[end - 1] === '\t')) end--;
  if (start === end) return undefined;
  const text = value.slice(start, end);
  const seconds = digits(text, 0, text.length);
  // A long run of digits loses precision or becomes Infinity: either way it clamps here.
  if (seconds >= 0) return Math.min(seconds * 1000, MAX_TIMER_MS);
  const at = imfFixdate(text);
  if (at === undefined) return undefined;
  return Math.min(Math.max(0, at - now), MAX_TIMER_MS);
}

/**
 * Milliseconds asked by a `Retry-After` header on the error (`err.headers` or
 * `err.response.headers`, a plain object or a `Headers`), if any: see parseRetryAfter.
 */
export function retryAfterMsOf(err: unknown, now: number): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as Loose;
  const raw = header(e.headers, 'retry-after') ?? header(e.response?.headers, 'retry-after');
  return raw === undefined ? undefined : parseRetryAfter(raw, now);
}

/**
 * A payload-free type of an error, for events and telemetry (`code`, `error.type`): its HTTP status
 * (`"503"`), else its code (`ECONNRESET`), else its cause's code, else its class name
 * (`TypeError`); undefined when it has none of them in a safe form.
 */
export function errorTypeOf(err: unknown): string | undefined {
  const status = statusOf(err);
  if (status !== undefined) return String(status);
  if (typeof err === 'object' && err !== null) {
    const e = err as Loose;
    if (typeof e.code === 'string' && /^[A-Z0-9_]{2,40}$/.test(e.code)) return e.code;
    const causeCode = (e.cause as Loose | undefined)?.code;
    if (typeof causeCode === 'string' && /^[A-Z0-9_]{2,40}$/.test(causeCode)) return causeCode;
    if (typeof e.name === 'string' && /^[A-Za-z]{1,40}$/.test(e.name)) return e.name;
  }
  return undefined;
}

/** A short, payload-free description of an error for logs: "HTTP 503", "ECONNRESET", "TypeError". */
export function describe(err: unknown): string {
  const status = statusOf(err);
  if (status !== undefined) return `HTTP ${status}`;
  return errorTypeOf(err) ?? 'an error';
}
