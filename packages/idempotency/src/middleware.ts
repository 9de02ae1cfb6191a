import { randomUUID } from 'node:crypto';
import {
  booleanOption,
  type Closeable,
  checkOptions,
  createTelemetry,
  EventEmitter,
  enumOption,
  functionOption,
  hasErrorCode,
  hashKeyPart,
  integerOption,
  type Logger,
  makeCloseable,
  problem,
  resolveLogger,
  sendProblem,
  stringOption,
} from '@resil/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { RECORD_OPTIONS, type RecordOptions, resolveRecords } from './common';
import { ERROR_CODES, PROBLEM_SLUGS } from './errors';
import type { IdempotencyEvents, OutcomeEvent } from './events';
import { keepClaimed } from './renewal';
import type { ClaimResult, StoredResponse } from './store';

export interface IdempotencyOptions extends RecordOptions {
  /** Methods the middleware applies to. @default ['POST', 'PATCH'] */
  methods?: string[];
  /** A request of those methods without the header gets 400. @default true */
  required?: boolean;
  /** The request header that carries the key (an HTTP token, any case). @default 'Idempotency-Key' */
  header?: string;
  /** Who the key belongs to; part of the storage key. @default the user id (`req.user.id`) if any, else the client IP */
  scope?: (req: Request) => string | undefined;
  /**
   * What of the request must match for a repeat to be replayed (else 422), in place of the body:
   * any JSON-like value (canonical JSON, then hashed). The method and the path with its sorted
   * query are always part of the fingerprint. Runs after the body parsers; if it throws, the
   * error goes to `next(err)` and nothing is claimed. @default the parsed body (`req.body`)
   */
  fingerprint?: (req: Request) => unknown;
  /** How long a completed response is kept and replayed. @default 86400000 (24 h) */
  ttlMs?: number;
  /** The in-progress claim's lease; renewed while the handler runs; a crashed worker's key is free after it. @default 30000 */
  leaseMs?: number;
  /** A repeat while the first still runs: 409 with Retry-After ('reject'), or wait and replay ('wait'). @default 'reject' */
  onConcurrent?: 'reject' | 'wait';
  /** Longest wait with onConcurrent 'wait'; then 409. @default 10000 */
  waitTimeoutMs?: number;
  /**
   * Which statuses may be stored and replayed; others release the key so the client may retry.
   * Applies to executions only: a status >= 400 is stored only when the handler called
   * `markExecuted(req)` (see the README). @default status < 500
   */
  storeStatus?: (status: number) => boolean;
  /** Larger bodies are not kept: a repeat gets 409 "not replayable" (the handler never runs twice). @default 1 MiB */
  maxBodyBytes?: number;
  /** Response headers never stored, besides the built-in deny-list. @default [] */
  excludeHeaders?: string[];
  /** Store unreachable: 'deny' answers 503 (no risk of a double execution); 'allow' runs the handler without protection. @default 'deny' */
  onStoreError?: 'deny' | 'allow';
  /**
   * Where a lost lease, a store outage, an unparsed body or an unreplicated write is logged, or
   * false. `@resil/safe-log`'s `SafeLogger` fits. @default core `codeLogger('resil.idempotency')`
   * (codes and counts on stderr, never a message, key or body)
   */
  logger?: Logger | false;
  /** This middleware's name in telemetry (`pipeline.name`). @default 'idempotency' */
  name?: string;
}

/** The middleware: an Express handler with the outcome events and the one lifecycle. */
export type IdempotencyMiddleware = RequestHandler & IdempotencyEvents & Closeable;

const KNOWN: ReadonlySet<string> = new Set([
  'methods',
  'required',
  'header',
  'scope',
  'fingerprint',
  'ttlMs',
  'leaseMs',
  'onConcurrent',
  'waitTimeoutMs',
  'storeStatus',
  'maxBodyBytes',
  'excludeHeaders',
  'onStoreError',
  'logger',
  'name',
  ...RECORD_OPTIONS,
]);

/** Never stored or replayed: per-connection, per-response or credential headers. */
export const DENIED_HEADERS: readonly string[] = Object.freeze([
  'set-cookie',
  'date',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'authorization',
  'www-authenticate',
  'content-length',
  'idempotent-replayed',
  'ratelimit',
  'ratelimit-policy',
  'retry-after',
  'x-request-id',
  'traceparent',
  'tracestate',
  'server-timing',
]);

const DERIVED = Symbol.for('@resil/idempotency.key');
const EXECUTED = Symbol.for('@resil/idempotency.executed');

/**
 * Tells the idempotency middleware that the handler has started to act on this request (after
 * its own validation, before its first side effect): from then on, whatever it answers below 500
 * (by default `storeStatus`) is stored and replayed, a 4xx included. Without the mark only a
 * status below 400 is stored, so that a rejection by a later middleware (401, 403, 404, 422,
 * 429, ...) is never replayed. No effect outside the middleware.
 */
export function markExecuted(req: Request): void {
  (req as unknown as Record<symbol, boolean>)[EXECUTED] = true;
}

/**
 * The path and the query string with its parameters sorted by name (stable for repeats).
 * Exported for the package's tests only (not from the index).
 */
export function target(req: Request): string {
  const url = req.originalUrl ?? req.url;
  const q = url.indexOf('?');
  if (q < 0) return `${req.baseUrl}${req.path}`;
  const params = [...new URLSearchParams(url.slice(q + 1))].sort((a, b) =>
    a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0,
  );
  return `${req.baseUrl}${req.path}?${new URLSearchParams(params).toString()}`;
}

/** The request carries a body (a chunked one, or a Content-Length above 0). */
function hasBody(req: Request): boolean {
  const cl = req.headers['content-length'];
  return (
    req.headers['transfer-encoding'] !== undefined ||
    (cl !== undefined && cl.trim() !== '0' && cl.trim() !== '')
  );
}

/** The request has a body that no parser before this middleware has read. */
function bodyUnread(req: Request): boolean {
  if (!hasBody(req)) return false;
  return !req.readableEnded || req.body === undefined;
}

/**
 * What the fingerprint reads as the body: `null` when the request has none, whatever a parser left
 * in `req.body` (Express 4's body-parser sets `{}`, Express 5's leaves `undefined`), so workers on
 * either version agree during a rolling upgrade.
 */
function bodyOf(req: Request): unknown {
  return hasBody(req) ? (req.body ?? null) : null;
}

const OWNER = 'idempotency';
const int = (name: string, v: unknown, dflt: number | undefined, min: number) =>
  integerOption(OWNER, name, v, { default: dflt, min });

/**
 * The key from the header: the draft's sf-string form ("...", with \" and \\ escapes) or a bare
 * token; 1–255 printable ASCII characters. undefined when malformed.
 */
export function parseIdempotencyKey(raw: string): string | undefined {
  let key = raw.trim();
  if (key.startsWith('"')) {
    const m = /^"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"$/.exec(key);
    if (!m || m[1] === undefined) return undefined;
    key = m[1].replace(/\\(["\\])/g, '$1');
  } else if (!/^[\x21-\x7e]+$/.test(key)) return undefined;
  if (key.length < 1 || key.length > 255) return undefined;
  return key;
}

/** A value still to write, in {@link canonicalJson}'s work stack (text to emit is a plain string). */
class Value {
  constructor(readonly v: unknown) {}
}
/** Leaving an object or array in {@link canonicalJson}: it is no longer on the current path. */
class Leave {
  constructor(readonly o: object) {}
}

/**
 * JSON with object keys sorted at every level: the same data gives the same text. Iterative (an
 * explicit stack, never recursion), so any depth the body parser accepts is fingerprinted in
 * linear time instead of overflowing the call stack; a circular structure is a TypeError.
 */
export function canonicalJson(v: unknown): string {
  const out: string[] = [];
  const onPath = new Set<object>();
  const work: Array<string | Value | Leave> = [new Value(v)];
  for (let item = work.pop(); item !== undefined; item = work.pop()) {
    if (typeof item === 'string') {
      out.push(item);
      continue;
    }
    if (item instanceof Leave) {
      onPath.delete(item.o);
      continue;
    }
    const x = item.v;
    if (Buffer.isBuffer(x)) {
      out.push(JSON.stringify(`base64:${x.toString('base64')}`));
      continue;
    }
    if (x === null || typeof x !== 'object') {
      out.push(JSON.stringify(x) ?? 'null');
      continue;
    }
    if (onPath.has(x)) throw new TypeError('canonicalJson: circular structure');
    onPath.add(x);
    work.push(new Leave(x));
    if (Array.isArray(x)) {
      work.push(']');
      for (let i = x.length - 1; i >= 0; i--) {
        work.push(new Value(x[i] === undefined ? null : x[i]));
        if (i > 0) work.push(',');
      }
      work.push('[');
      continue;
    }
    const o = x as Record<string, unknown>;
    const keys = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort();
    work.push('}');
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i] as string;
      work.push(new Value(o[k]), `${JSON.stringify(k)}:`);
      if (i > 0) work.push(',');
    }
    work.push('{');
  }
  return out.join('');
}

function defaultScope(req: Request): string {
  const user = (req as { user?: { id?: unknown } }).user;
  if (user && (typeof user.id === 'string' || typeof user.id === 'number'))
    return `user:${user.id}`;
  return `ip:${req.ip ?? 'unknown'}`;
}

/**
 * The key to send to an upstream that honours Idempotency-Key, for the request being handled: a
 * hash of the scope and the client's key, so the same client request always carries the same
 * upstream key (also when a retry runs on another worker after a crash) and two clients' keys
 * never collide. undefined when the request has no key.
 */
export function idempotencyKeyFor(req: Request, scope?: string): string | undefined {
  if (scope === undefined) {
    const derived = (req as unknown as Record<symbol, string | undefined>)[DERIVED];
    if (derived) return derived;
  }
  const raw = req.get('Idempotency-Key');
  const key = raw === undefined ? undefined : parseIdempotencyKey(raw);
  if (key === undefined) return undefined;
  return hashKeyPart(`${scope ?? defaultScope(req)}\n${key}`, 32);
}

/** The problem+json answers, written once (constant titles and details: never input). */
const ANSWERS = {
  MISSING_KEY: { status: 400, title: 'Idempotency-Key required' },
  INVALID_KEY: {
    status: 400,
    title: 'Invalid Idempotency-Key',
    detail:
      'The Idempotency-Key must be 1 to 255 printable ASCII characters, bare or as a quoted string.',
  },
  BODY_UNPARSED: {
    status: 415,
    title: 'Request body not parsed',
    detail: 'This request body cannot be checked against the Idempotency-Key; nothing was run.',
  },
  MISMATCH: {
    status: 422,
    title: 'Idempotency-Key reused',
    detail: 'This Idempotency-Key was used with a different request (method, path or body).',
  },
  IN_PROGRESS: {
    status: 409,
    title: 'Request in progress',
    detail:
      'A request with this Idempotency-Key is still being processed; retry later with the same key.',
  },
  NOT_REPLAYABLE: {
    status: 409,
    title: 'Response not kept',
    detail:
      'The request with this Idempotency-Key was completed, but its response was too large to keep; it was not run again.',
  },
  STORE_UNAVAILABLE: {
    status: 503,
    title: 'Service Unavailable',
    detail: 'Idempotency records are unavailable; retry with the same key shortly.',
  },
} as const;

function answer(
  res: Response,
  what: keyof typeof ANSWERS,
  headers?: Record<string, string>,
  detail?: string,
): void {
  const a: { status: number; title: string; detail?: string } = ANSWERS[what];
  sendProblem(
    res,
    problem({
      slug: PROBLEM_SLUGS[what],
      status: a.status,
      title: a.title,
      detail: detail ?? a.detail,
    }),
    headers,
  );
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Idempotency-Key middleware (draft-ietf-httpapi-idempotency-key-header, Stripe's behaviour):
 * the first request with a key runs and its response is stored; a repeat gets the stored response
 * with `Idempotent-Replayed: true`; the same key with another payload gets 422; a repeat while the
 * first runs gets 409 (or waits). With `redis`, exactly one worker runs a key, atomically.
 * Register it after the body parsers (a body none of them read gets 415). Stored: 2xx and 3xx
 * answers, and 4xx ones when the handler called `markExecuted(req)`; see the README's guarantees.
 */
export function idempotency(options: IdempotencyOptions = {}): IdempotencyMiddleware {
  const o = checkOptions(OWNER, options, KNOWN);
  const methods = new Set((o.methods ?? ['POST', 'PATCH']).map((m) => String(m).toUpperCase()));
  const required = booleanOption(OWNER, 'required', o.required, true);
  const ttlMs = int('ttlMs', o.ttlMs, 86_400_000, 1000);
  const leaseMs = int('leaseMs', o.leaseMs, 30_000, 100);
  const waitTimeoutMs = int('waitTimeoutMs', o.waitTimeoutMs, 10_000, 0);
  const maxBodyBytes = int('maxBodyBytes', o.maxBodyBytes, 1024 * 1024, 0);
  const onConcurrent = enumOption(
    OWNER,
    'onConcurrent',
    o.onConcurrent,
    ['reject', 'wait'],
    'reject',
  );
  const onStoreError = enumOption(OWNER, 'onStoreError', o.onStoreError, ['deny', 'allow'], 'deny');
  const scopeOf = functionOption<(req: Request) => string | undefined>(OWNER, 'scope', o.scope);
  const storeStatus =
    functionOption<(status: number) => boolean>(OWNER, 'storeStatus', o.storeStatus) ??
    ((s: number) => s < 500);
  const header = stringOption(OWNER, 'header', o.header, {
    default: 'Idempotency-Key',
    pattern: /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/,
    describe: 'an HTTP header name',
  });
  const fingerprintOf = functionOption<(req: Request) => unknown>(
    OWNER,
    'fingerprint',
    o.fingerprint,
  );
  const records = resolveRecords(OWNER, o);
  const { store, hasher, keys } = records;
  const name = stringOption(OWNER, 'name', o.name, { default: 'idempotency', minLength: 1 });
  const logger = resolveLogger(OWNER, 'resil.idempotency', o.logger);
  const denied = new Set([
    ...DENIED_HEADERS,
    ...(o.excludeHeaders ?? []).map((h) => h.toLowerCase()),
  ]);
  let storeDown = false; // logged once per outage, not per request
  let unparsedLogged = false;
  const renewals = new Set<NodeJS.Timeout>();

  // Outcome events: listeners (onX) and OpenTelemetry (resilience.strategy.events).
  const telemetry = createTelemetry({
    strategy: 'idempotency',
    pipeline: name,
    scope: '@resil/idempotency',
  });
  const emitters = {
    executed: new EventEmitter<OutcomeEvent>(),
    replayed: new EventEmitter<OutcomeEvent>(),
    conflict: new EventEmitter<OutcomeEvent>(),
    mismatch: new EventEmitter<OutcomeEvent>(),
    'store-error': new EventEmitter<OutcomeEvent>(),
  };
  const outcome = (event: keyof typeof emitters, payload: OutcomeEvent) => {
    emitters[event].emit(payload);
    const attributes: Record<string, string | number> = {};
    if (payload.status !== undefined) attributes['http.response.status_code'] = payload.status;
    if (payload.code !== undefined) attributes['error.type'] = payload.code;
    telemetry.event(event, {
      severity: event === 'executed' || event === 'replayed' ? 'information' : 'warning',
      attributes,
    });
  };

  const replay = (res: Response, stored: StoredResponse) => {
    if (stored.omitted) {
      answer(res, 'NOT_REPLAYABLE');
      return outcome('conflict', { status: 409, code: PROBLEM_SLUGS.NOT_REPLAYABLE });
    }
    res.statusCode = stored.status;
    for (const [h, v] of Object.entries(stored.headers)) res.setHeader(h, v);
    res.setHeader('Idempotent-Replayed', 'true');
    res.end(stored.body);
    outcome('replayed', { status: stored.status });
  };

  const middleware = async function resilIdempotency(
    req: Request,
    res: Response,
    next: NextFunction,
  ) {
    try {
      if (!methods.has(req.method)) return next();
      const raw = req.get(header);
      if (raw === undefined) {
        if (!required) return next();
        // the method is one of the configured ones (a token) and the header name is configured,
        // never other input
        return answer(res, 'MISSING_KEY', {}, `${req.method} requests need an ${header} header.`);
      }
      const key = parseIdempotencyKey(raw);
      if (key === undefined) return answer(res, 'INVALID_KEY');
      if (bodyUnread(req)) {
        if (!unparsedLogged)
          logger.warn(
            'idempotency: a request body was not parsed before the middleware (register the body parser first); answered 415',
            { event: 'body-unparsed', method: req.method },
          );
        unparsedLogged = true;
        return answer(res, 'BODY_UNPARSED');
      }
      const scope = scopeOf?.(req) ?? defaultScope(req);
      const derived = hasher.hash(`${scope}\n${key}`, 64);
      (req as unknown as Record<symbol, string>)[DERIVED] = derived.slice(0, 32);
      const storageKey = keys.key(derived);
      const payload = fingerprintOf ? fingerprintOf(req) : bodyOf(req);
      const fp = hasher.hash(`${req.method} ${target(req)}\n${canonicalJson(payload)}`, 64);
      const owner = randomUUID();

      const deadline = Date.now() + waitTimeoutMs;
      let result: ClaimResult;
      for (;;) {
        try {
          result = await store.claim(storageKey, owner, fp, leaseMs);
        } catch (err) {
          const code = hasErrorCode(err) ? err.code : undefined;
          if (!storeDown)
            logger.warn('idempotency: store unavailable', {
              event: 'store-unavailable',
              onStoreError,
              ...(code === undefined ? {} : { code }),
            });
          storeDown = true;
          if (onStoreError === 'allow') {
            outcome('store-error', code === undefined ? {} : { code });
            return next();
          }
          answer(res, 'STORE_UNAVAILABLE', { 'Retry-After': '1' });
          return outcome(
            'store-error',
            code === undefined ? { status: 503 } : { status: 503, code },
          );
        }
        if (storeDown) {
          storeDown = false;
          logger.warn('idempotency: store available again', { event: 'store-available' });
        }
        if (result.claimed) break;
        if (result.fp !== fp) {
          answer(res, 'MISMATCH');
          return outcome('mismatch', { status: 422 });
        }
        if (result.state === 'done') return replay(res, result.response);
        if (onConcurrent === 'wait' && Date.now() < deadline) {
          await pause(Math.min(50, Math.max(1, deadline - Date.now())));
          continue;
        }
        answer(res, 'IN_PROGRESS', {
          'Retry-After': String(Math.max(1, Math.min(Math.ceil(result.leaseLeftMs / 1000), 5))),
        });
        return outcome('conflict', { status: 409, code: PROBLEM_SLUGS.IN_PROGRESS });
      }

      // Claimed: run the handler; the lease is renewed for as long as the handler has not
      // answered, whether or not the client is still connected (a client that timed out and
      // retries must get 409, not a second run).
      const stopRenewal = keepClaimed(store, storageKey, owner, leaseMs, renewals);
      const chunks: Buffer[] = [];
      let size = 0;
      const collect = (chunk: unknown, encoding?: unknown) => {
        if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
        const b = Buffer.isBuffer(chunk)
          ? chunk
          : typeof chunk === 'string'
            ? Buffer.from(
                chunk,
                typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8',
              )
            : chunk instanceof Uint8Array
              ? Buffer.from(chunk)
              : undefined;
        if (!b) return;
        size += b.length;
        if (size <= maxBodyBytes) chunks.push(b);
      };
      let answered = false;
      const writeHead = res.writeHead.bind(res) as (...a: unknown[]) => Response;
      const write = res.write.bind(res) as (...a: unknown[]) => boolean;
      const end = res.end.bind(res) as (...a: unknown[]) => Response;
      // Headers given to writeHead() directly are not in getHeaders() unless some header was set
      // before: apply them with setHeader/appendHeader (what Node does then) so they are stored.
      res.writeHead = ((status: unknown, ...rest: unknown[]) => {
        const reason = typeof rest[0] === 'string' ? rest[0] : undefined;
        const headers = reason === undefined ? rest[0] : rest[1];
        if (answered || res.headersSent || headers === undefined || headers === null)
          return writeHead(status, ...rest);
        if (Array.isArray(headers)) {
          if (headers.length % 2 !== 0) return writeHead(status, ...rest); // Node rejects it
          for (let i = 0; i < headers.length; i += 2) res.removeHeader(String(headers[i]));
          for (let i = 0; i < headers.length; i += 2)
            if (headers[i]) res.appendHeader(String(headers[i]), headers[i + 1] as string);
        } else if (typeof headers === 'object') {
          for (const [k, v] of Object.entries(headers as Record<string, unknown>))
            if (k) res.setHeader(k, v as string);
        } else return writeHead(status, ...rest);
        return reason === undefined ? writeHead(status) : writeHead(status, reason);
      }) as typeof res.writeHead;
      res.write = ((...a: unknown[]) => {
        const ok = write(...a); // throws on bad input: nothing collected
        if (!answered) collect(a[0], a[1]);
        return ok;
      }) as typeof res.write;
      res.end = ((...a: unknown[]) => {
        if (answered) return end(...a);
        // The answer leaves at once, as without the middleware (headersSent becomes true, a
        // later error cannot replace it). If end() throws (bad argument), nothing is recorded:
        // Express's error handling answers, and that answer is the one that counts.
        const out = end(...a);
        answered = true;
        stopRenewal();
        collect(a[0], a[1]);
        const status = res.statusCode;
        outcome('executed', { status });
        let keepIt = false;
        try {
          keepIt =
            (status < 400 ||
              (req as unknown as Record<symbol, boolean | undefined>)[EXECUTED] === true) &&
            storeStatus(status);
        } catch {
          keepIt = false; // a throwing storeStatus stores nothing
        }
        const settle = keepIt
          ? store.complete(
              storageKey,
              owner,
              {
                status,
                headers: keep(res, denied),
                body: size <= maxBodyBytes ? Buffer.concat(chunks) : Buffer.alloc(0),
                omitted: size > maxBodyBytes,
              },
              ttlMs,
            )
          : store.release(storageKey, owner);
        settle.then(
          (ok) => {
            if (!ok && keepIt)
              logger.warn(
                'idempotency: the lease was lost before the response was stored (the store lost the claim)',
                { event: 'lease-lost', status },
              );
          },
          (err: unknown) => {
            const code = hasErrorCode(err) ? err.code : undefined;
            const [event, message] =
              code === ERROR_CODES.NOT_REPLICATED
                ? [
                    'not-replicated',
                    'idempotency: the response was stored but not acknowledged by enough replicas',
                  ]
                : keepIt
                  ? [
                      'store-failed',
                      'idempotency: could not store the response; a retry after the lease may run again',
                    ]
                  : [
                      'release-failed',
                      'idempotency: could not release the key; a retry gets 409 until the lease ends',
                    ];
            logger.warn(message, code === undefined ? { event, status } : { event, status, code });
          },
        );
        return out;
      }) as typeof res.end;
      next();
    } catch (err) {
      next(err);
    }
  };
  const events: IdempotencyEvents = {
    onExecuted: emitters.executed.event,
    onReplayed: emitters.replayed.event,
    onConflict: emitters.conflict.event,
    onMismatch: emitters.mismatch.event,
    onStoreError: emitters['store-error'].event,
  };
  // close(): stops every lease renewal (claims of handlers still running then expire after
  // leaseMs), drops the listeners and closes the store (a client made from a URL is released;
  // one you passed stays yours). Idempotent; also `await using`.
  return makeCloseable(Object.assign(middleware as RequestHandler, events), async () => {
    for (const t of renewals) clearInterval(t);
    renewals.clear();
    for (const e of Object.values(emitters)) e.clear();
    await records.close();
  });
}

function keep(res: Response, denied: Set<string>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(res.getHeaders())) {
    if (denied.has(name) || value === undefined) continue;
    out[name] = Array.isArray(value) ? value.map(String) : String(value);
  }
  return out;
}
