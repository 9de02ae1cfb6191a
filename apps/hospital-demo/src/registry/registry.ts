import { createHash, randomUUID } from 'node:crypto';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { RegistryMode } from '../config';
import { OWNER_HEADER } from './protocol';

/**
 * The mock hospital registry: the "external API" of the seeds. It keeps hospitals in memory,
 * honours Idempotency-Key itself, enforces its own request rate (429 + Retry-After) and can be
 * made to fail on purpose (error rate and status, latency, hang, connection reset, down).
 */

export type RegistryEndpoint = 'create' | 'activate' | 'get' | 'delete';
const ENDPOINTS: readonly RegistryEndpoint[] = ['create', 'activate', 'get', 'delete'];

export interface Faults {
  /** Share of API requests answered with `errorStatus`, 0..1. */
  errorRate: number;
  /** The next N API requests are answered with `errorStatus` (then the error rate applies). */
  failNext: number;
  errorStatus: number;
  /** Retry-After (seconds) sent with injected errors; absent: none. */
  retryAfterSeconds: number | undefined;
  latencyMs: number;
  mode: RegistryMode;
  /** Endpoints the faults apply to; empty: all. */
  endpoints: RegistryEndpoint[];
}

export interface RegistryCounters {
  /** API requests received, by endpoint (including rejected and faulted ones). */
  received: Record<RegistryEndpoint, number>;
  /** Operations actually performed (a replay or a fault performs nothing). */
  executed: Record<RegistryEndpoint, number>;
  /** Requests answered from the Idempotency-Key store. */
  replayed: number;
  /** Requests answered 429 by the registry's own rate limit. */
  rateLimited: number;
  /** Requests answered with an injected error status. */
  faulted: number;
  /** Connections dropped on purpose (mode reset). */
  reset: number;
  /** Requests left hanging on purpose (mode hang). */
  hung: number;
  /**
   * API requests outside `/v1/hospitals` (the service's readiness probe, `HEAD /`). They count
   * against the rate limit like any other request, as they would at a real registry.
   */
  probes: number;
}

export interface Hospital {
  id: string;
  name: string;
  address: string;
  contactEmail?: string;
  contactPhone?: string;
  status: 'pending' | 'active';
  createdAt: string;
  /** The tenant that created it (the `X-Hospital-Owner` header at create); absent: none given. */
  owner?: string;
}

export interface RegistryOptions {
  /** API requests per second before 429. @default 10 */
  rateLimitPerSecond?: number;
  /** Initial faults. */
  faults?: Partial<Faults>;
  /** Clock, for the rate limit. @default Date.now */
  now?: () => number;
  /** Randomness for the error rate. @default Math.random */
  random?: () => number;
}

export interface RegistryState {
  readonly faults: Readonly<Faults>;
  readonly counters: Readonly<RegistryCounters>;
  readonly hospitals: ReadonlyMap<string, Hospital>;
  setFaults(patch: Partial<Faults>): Readonly<Faults>;
  /** Clears faults; with `counters: true` also the counters. Hospitals stay. */
  reset(options?: { counters?: boolean }): void;
  /** Called when `mode` changes (the server opens or closes the API listener for `down`). */
  onModeChange(listener: (mode: RegistryMode) => Promise<void> | void): void;
  /** Resolves when the last mode change has taken effect (the listener is open or closed). */
  settled(): Promise<void>;
}

export interface Registry {
  /** The registry's public API (POST/GET/DELETE /v1/hospitals...). */
  readonly api: Express;
  /** The operator's side channel: GET/PUT /faults, GET /counters, POST /reset. */
  readonly control: Express;
  readonly state: RegistryState;
}

const NO_FAULTS: Faults = Object.freeze({
  errorRate: 0,
  failNext: 0,
  errorStatus: 503,
  retryAfterSeconds: undefined,
  latencyMs: 0,
  mode: 'normal' as RegistryMode,
  endpoints: [] as RegistryEndpoint[],
});

function zeroCounts(): Record<RegistryEndpoint, number> {
  return { create: 0, activate: 0, get: 0, delete: 0 };
}

function problem(res: Response, status: number, title: string, detail?: string): void {
  res
    .status(status)
    .type('application/problem+json')
    .send(JSON.stringify({ type: 'about:blank', title, status, ...(detail ? { detail } : {}) }));
}

/** Checks a fault patch from the control endpoint; returns the problems found. */
export function validateFaults(patch: unknown): { faults?: Partial<Faults>; problems: string[] } {
  const problems: string[] = [];
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    return { problems: ['body must be a JSON object'] };
  }
  const p = patch as Record<string, unknown>;
  const out: Partial<Faults> = {};
  for (const key of Object.keys(p)) {
    if (
      ![
        'errorRate',
        'failNext',
        'errorStatus',
        'retryAfterSeconds',
        'latencyMs',
        'mode',
        'endpoints',
      ].includes(key)
    ) {
      problems.push(`unknown field "${key.slice(0, 40)}"`);
    }
  }
  if ('errorRate' in p) {
    if (typeof p.errorRate !== 'number' || !(p.errorRate >= 0 && p.errorRate <= 1)) {
      problems.push('errorRate must be a number from 0 to 1');
    } else out.errorRate = p.errorRate;
  }
  if ('failNext' in p) {
    if (!Number.isInteger(p.failNext) || (p.failNext as number) < 0) {
      problems.push('failNext must be a whole number');
    } else out.failNext = p.failNext as number;
  }
  if ('errorStatus' in p) {
    if (!Number.isInteger(p.errorStatus) || (p.errorStatus as number) < 400) {
      problems.push('errorStatus must be an HTTP status from 400 to 599');
    } else if ((p.errorStatus as number) > 599) {
      problems.push('errorStatus must be an HTTP status from 400 to 599');
    } else out.errorStatus = p.errorStatus as number;
  }
  if ('retryAfterSeconds' in p) {
    if (p.retryAfterSeconds === null) out.retryAfterSeconds = undefined;
    else if (!Number.isInteger(p.retryAfterSeconds) || (p.retryAfterSeconds as number) < 0) {
      problems.push('retryAfterSeconds must be a whole number of seconds, or null');
    } else out.retryAfterSeconds = p.retryAfterSeconds as number;
  }
  if ('latencyMs' in p) {
    if (!Number.isInteger(p.latencyMs) || (p.latencyMs as number) < 0) {
      problems.push('latencyMs must be a whole number of milliseconds');
    } else out.latencyMs = p.latencyMs as number;
  }
  if ('mode' in p) {
    if (!['normal', 'hang', 'reset', 'down'].includes(p.mode as string)) {
      problems.push('mode must be one of normal, hang, reset, down');
    } else out.mode = p.mode as RegistryMode;
  }
  if ('endpoints' in p) {
    if (
      !Array.isArray(p.endpoints) ||
      !p.endpoints.every((e) => ENDPOINTS.includes(e as RegistryEndpoint))
    ) {
      problems.push(`endpoints must be a list of ${ENDPOINTS.join(', ')}`);
    } else out.endpoints = [...(p.endpoints as RegistryEndpoint[])];
  }
  return problems.length > 0 ? { problems } : { faults: out, problems };
}

function fingerprint(body: unknown): string {
  const canon = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canon);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v as object)
          .sort()
          .map((k) => [k, canon((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return createHash('sha256')
    .update(JSON.stringify(canon(body ?? null)))
    .digest('hex');
}

interface StoredResponse {
  fingerprint: string;
  status: number;
  body: unknown;
}

export function createRegistry(options: RegistryOptions = {}): Registry {
  const rate = options.rateLimitPerSecond ?? 10;
  if (!Number.isFinite(rate) || rate <= 0) {
    throw new RangeError('createRegistry: rateLimitPerSecond must be a positive number');
  }
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  let faults: Faults = { ...NO_FAULTS, ...options.faults };
  let counters: RegistryCounters = fresh();
  const hospitals = new Map<string, Hospital>();
  const idempotent = new Map<string, StoredResponse>();
  const modeListeners: Array<(mode: RegistryMode) => Promise<void> | void> = [];
  let settling: Promise<unknown> = Promise.resolve();
  // Token bucket: `rate` tokens, refilled continuously at `rate` per second.
  let tokens = rate;
  let refilledAt = now();

  function fresh(): RegistryCounters {
    return {
      received: zeroCounts(),
      executed: zeroCounts(),
      replayed: 0,
      rateLimited: 0,
      faulted: 0,
      reset: 0,
      hung: 0,
      probes: 0,
    };
  }

  const state: RegistryState = {
    get faults() {
      return faults;
    },
    get counters() {
      return counters;
    },
    hospitals,
    setFaults(patch) {
      const before = faults.mode;
      faults = { ...faults, ...patch };
      if (faults.mode !== before) {
        settling = Promise.all([settling, ...modeListeners.map((l) => l(faults.mode))]);
      }
      return faults;
    },
    reset(opts) {
      state.setFaults({ ...NO_FAULTS });
      if (opts?.counters) counters = fresh();
    },
    onModeChange(listener) {
      modeListeners.push(listener);
    },
    async settled() {
      await settling;
    },
  };

  const api = express();
  api.disable('x-powered-by');
  api.use(express.json({ limit: '16kb' }));

  const endpointOf = (req: Request): RegistryEndpoint =>
    req.method === 'POST'
      ? req.path.endsWith('/activate')
        ? 'activate'
        : 'create'
      : req.method === 'DELETE'
        ? 'delete'
        : 'get';

  // Every API request counts against the rate limit, a probe of `/` as much as a create.
  const overQuota = (res: Response): boolean => {
    const t = now();
    tokens = Math.min(rate, tokens + ((t - refilledAt) / 1000) * rate);
    refilledAt = t;
    if (tokens < 1) {
      counters.rateLimited++;
      const waitS = Math.max(1, Math.ceil((1 - tokens) / rate));
      res.setHeader('Retry-After', String(waitS));
      problem(res, 429, 'Too Many Requests', `the registry accepts ${rate} requests per second`);
      return true;
    }
    tokens -= 1;
    return false;
  };

  // Counting, rate limit and faults, before any route.
  api.use((req: Request, res: Response, next: NextFunction) => {
    if (/^\/v1\/hospitals(?:\/|$)/i.test(req.path)) return next();
    counters.probes++;
    if (overQuota(res)) return;
    next();
  });
  api.use('/v1/hospitals', (req: Request, res: Response, next: NextFunction) => {
    const endpoint = endpointOf(req);
    counters.received[endpoint]++;
    res.locals.endpoint = endpoint;
    if (overQuota(res)) return;

    const applies = faults.endpoints.length === 0 || faults.endpoints.includes(endpoint);
    if (!applies) return next();
    if (faults.mode === 'hang') {
      counters.hung++;
      return; // never answer; the server destroys the socket on close
    }
    if (faults.mode === 'reset') {
      counters.reset++;
      req.socket.destroy();
      return;
    }
    const proceed = () => {
      const forced = faults.failNext > 0;
      if (forced) faults = { ...faults, failNext: faults.failNext - 1 };
      if (forced || (faults.errorRate > 0 && random() < faults.errorRate)) {
        counters.faulted++;
        if (faults.retryAfterSeconds !== undefined) {
          res.setHeader('Retry-After', String(faults.retryAfterSeconds));
        }
        problem(res, faults.errorStatus, 'Injected fault');
        return;
      }
      next();
    };
    if (faults.latencyMs > 0) setTimeout(proceed, faults.latencyMs);
    else proceed();
  });

  const ownerOf = (req: Request): string | undefined => req.get(OWNER_HEADER);

  // Idempotency-Key: the registry's own (a repeated key replays the stored response).
  const withIdempotency = (
    req: Request,
    res: Response,
    run: () => { status: number; body: unknown },
  ): void => {
    const key = req.get('Idempotency-Key');
    if (key === undefined) {
      const out = run();
      res.status(out.status).json(out.body);
      return;
    }
    if (key.length === 0 || key.length > 255) {
      problem(res, 400, 'Invalid Idempotency-Key', 'the key must be 1 to 255 characters');
      return;
    }
    const scoped = JSON.stringify([res.locals.endpoint, req.params.id ?? '', ownerOf(req), key]);
    const fp = fingerprint(req.body);
    const stored = idempotent.get(scoped);
    if (stored) {
      if (stored.fingerprint !== fp) {
        problem(res, 422, 'Idempotency-Key reused with a different payload');
        return;
      }
      counters.replayed++;
      res.setHeader('Idempotent-Replayed', 'true');
      res.status(stored.status).json(stored.body);
      return;
    }
    const out = run();
    if (out.status < 500) idempotent.set(scoped, { fingerprint: fp, ...out });
    res.status(out.status).json(out.body);
  };

  /** The hospital when it exists and belongs to the request's owner; otherwise undefined (404). */
  const owned = (req: Request): Hospital | undefined => {
    const h = hospitals.get(String(req.params.id));
    return h && h.owner === ownerOf(req) ? h : undefined;
  };

  api.post('/v1/hospitals', (req, res) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const problems: string[] = [];
    if (typeof b.name !== 'string' || b.name.length === 0) problems.push('name');
    if (typeof b.address !== 'string' || b.address.length === 0) problems.push('address');
    if (problems.length > 0) {
      problem(res, 400, 'Invalid hospital', `missing or invalid: ${problems.join(', ')}`);
      return;
    }
    withIdempotency(req, res, () => {
      counters.executed.create++;
      const h: Hospital = {
        id: `hosp_${randomUUID()}`,
        name: b.name as string,
        address: b.address as string,
        ...(typeof b.contactEmail === 'string' ? { contactEmail: b.contactEmail } : {}),
        ...(typeof b.contactPhone === 'string' ? { contactPhone: b.contactPhone } : {}),
        status: 'pending',
        createdAt: new Date(now()).toISOString(),
        ...(ownerOf(req) !== undefined ? { owner: ownerOf(req) } : {}),
      };
      hospitals.set(h.id, h);
      return { status: 201, body: h };
    });
  });

  api.post('/v1/hospitals/:id/activate', (req, res) => {
    withIdempotency(req, res, () => {
      const h = owned(req);
      if (!h) return { status: 404, body: { title: 'Not Found', status: 404 } };
      counters.executed.activate++;
      h.status = 'active';
      return { status: 200, body: h };
    });
  });

  api.get('/v1/hospitals/:id', (req, res) => {
    const h = owned(req);
    if (!h) return problem(res, 404, 'Not Found');
    counters.executed.get++;
    res.json(h);
  });

  api.delete('/v1/hospitals/:id', (req, res) => {
    // Check and delete in one synchronous step: no other request can slip in between.
    const h = owned(req);
    if (!h) return problem(res, 404, 'Not Found');
    hospitals.delete(h.id);
    counters.executed.delete++;
    res.status(204).end();
  });

  api.use((_req: Request, res: Response) => problem(res, 404, 'Not Found'));
  api.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: number }).status;
    if (status && status >= 400 && status < 500) return problem(res, status, 'Bad Request');
    problem(res, 500, 'Internal Server Error');
  });

  const control = express();
  control.disable('x-powered-by');
  control.use(express.json({ limit: '4kb' }));
  control.get('/faults', (_req, res) => {
    res.json(faults);
  });
  control.put('/faults', async (req, res) => {
    const { faults: patch, problems } = validateFaults(req.body);
    if (!patch) return problem(res, 400, 'Invalid faults', problems.join('; '));
    const out = state.setFaults(patch);
    await state.settled();
    res.json(out);
  });
  control.get('/counters', (_req, res) => {
    res.json({ ...counters, hospitals: hospitals.size });
  });
  control.post('/reset', async (req, res) => {
    state.reset({ counters: req.query.counters === 'true' });
    await state.settled();
    res.json({ faults, counters });
  });
  control.use((_req: Request, res: Response) => problem(res, 404, 'Not Found'));
  control.use((_err: unknown, _req: Request, res: Response, _next: NextFunction) =>
    problem(res, 400, 'Bad Request'),
  );

  return { api, control, state };
}
