import { randomUUID } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import { adminAuth, apiKeyAuth, matchKey, ownerOf } from './auth';
import type { Config } from './config';
import { sendProblem } from './errors';
import { keepBase } from './front';
import { refuseHiddenKeys } from './guard';
import { idempotencyKeyFor, type SafeLogger, sanitizeRequest, validate } from './resil';
import { breakerView } from './status-page';
import { hospitalChains } from './validation';
import type { Layers } from './wiring';

/** What a /hospitals handler receives. */
export interface HandlerInput {
  route: 'POST /hospitals' | 'GET /hospitals/:id' | 'DELETE /hospitals/:id' | 'POST /session';
  body: unknown;
  query: unknown;
  params: unknown;
}

export interface RouteOptions {
  config: Config;
  layers: Layers;
  logger: SafeLogger;
  /** Called first by every /hospitals handler with what reached it (see AppDeps.onInput). */
  onInput?: (input: HandlerInput) => void;
}

const HOSPITAL_ID = /^hosp_[0-9a-f-]{36}$/;

/** The settings `PUT /admin/breakers/:name` may change, with their bounds (as the env's). */
const BREAKER_SETTINGS = {
  failureThreshold: { min: 1, max: 10_000 },
  resetTimeoutMs: { min: 1, max: 3_600_000 },
} as const;
type BreakerSetting = keyof typeof BREAKER_SETTINGS;

/** The change a PUT body asks for, or why it is refused (names only, never values). */
function breakerChange(
  body: unknown,
): { change: Partial<Record<BreakerSetting, number>> } | { problem: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return { problem: 'send a JSON object with failureThreshold and/or resetTimeoutMs' };
  const change: Partial<Record<BreakerSetting, number>> = {};
  for (const [k, v] of Object.entries(body)) {
    if (!Object.hasOwn(BREAKER_SETTINGS, k))
      return { problem: 'only failureThreshold and resetTimeoutMs may be changed' };
    const { min, max } = BREAKER_SETTINGS[k as BreakerSetting];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      return { problem: `${k} must be an integer from ${min} to ${max}` };
    change[k as BreakerSetting] = v;
  }
  if (Object.keys(change).length === 0)
    return { problem: 'send failureThreshold and/or resetTimeoutMs' };
  return { change };
}

/**
 * `POST /admin/breakers/:name/open|close` forces a breaker; `PUT /admin/breakers/:name`
 * `{ failureThreshold?, resetTimeoutMs? }` changes its thresholds through `breaker.configure()`
 * (validated, stored in Redis and published to every worker). The admin key, nothing else.
 */
export function adminRouter(o: RouteOptions): Router {
  const admin = express.Router();
  admin.use(keepBase, o.layers.inbound, adminAuth(o.config.adminKeyDigest, o.config.apiKeys));
  admin.put('/breakers/:name', express.json({ limit: '1kb' }), async (req, res) => {
    const b = o.layers.hospitalApi.breakers.find((x) => x.name === req.params.name);
    if (!b) return sendProblem(res, 404, 'not-found', 'No such breaker');
    const asked = breakerChange(req.body);
    if ('problem' in asked)
      return sendProblem(res, 422, 'invalid-breaker-settings', 'Invalid settings', asked.problem);
    const { shared } = await b.configure(asked.change);
    o.logger.warn('breaker thresholds changed by admin', {
      breaker: b.name,
      changed: Object.keys(asked.change),
      shared,
    });
    res.json({ ...breakerView(b), shared });
  });
  admin.post('/breakers/:name/:action', async (req, res) => {
    const b = o.layers.hospitalApi.breakers.find((x) => x.name === req.params.name);
    if (!b) return sendProblem(res, 404, 'not-found', 'No such breaker');
    if (req.params.action === 'open') await b.open();
    else if (req.params.action === 'close') await b.forceClose();
    else return sendProblem(res, 404, 'not-found', 'Action must be open or close');
    o.logger.warn('breaker forced by admin', { breaker: b.name, state: b.state });
    res.json(breakerView(b));
  });
  return admin;
}

/**
 * `POST /session` `{ "apiKey": "..." }`: a login-like check of an API key against the configured
 * keys, 204 or 401 problem+json. Limited per client IP to 5 failures per 15 min (successes are
 * refunded). `apiKey` is excluded from sanitising: a key with `<` or `"` must arrive as sent;
 * every other field is still cleaned.
 */
export function sessionRouter(o: RouteOptions): Router {
  const session = express.Router();
  session.use(keepBase, o.layers.login);
  session.use(express.json({ limit: '4kb' }), sanitizeRequest({ exclude: ['apiKey'] }));
  session.post('/', (req, res) => {
    o.onInput?.({ route: 'POST /session', body: req.body, query: req.query, params: req.params });
    const key = (req.body as { apiKey?: unknown } | undefined)?.apiKey;
    const owner =
      typeof key === 'string' && key.length <= 512 ? matchKey(key, o.config.apiKeys) : undefined;
    if (owner === undefined) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="hospital-demo"');
      return sendProblem(res, 401, 'unauthorized', 'Unauthorized', 'the API key is not valid');
    }
    res.status(204).end();
  });
  return session;
}

/** `/hospitals`: create (idempotent), read and delete, each only the key owner's. */
export function hospitalsRouter(o: RouteOptions): Router {
  const { hospitalApi } = o.layers;
  const { logger } = o;
  const hospitals = express.Router();
  hospitals.use(keepBase, o.layers.inbound, apiKeyAuth(o.config.apiKeys));
  hospitals.use(express.json({ limit: '16kb' }), sanitizeRequest());
  // Route level, so that it also sees the route's params; after validation, before the handler.
  const guard = refuseHiddenKeys();
  const seen = (route: HandlerInput['route'], req: Request) =>
    o.onInput?.({ route, body: req.body, query: req.query, params: req.params });
  /** The caller's tenant: set by apiKeyAuth, which runs before every /hospitals route. */
  const tenant = (req: Request): string => {
    const owner = ownerOf(req);
    if (owner === undefined) throw new Error('hospitals route reached without an API key owner');
    return owner;
  };

  hospitals.post('/', validate(hospitalChains()), guard, o.layers.idempotency, async (req, res) => {
    seen('POST /hospitals', req);
    const owner = tenant(req);
    const b = req.body as Record<string, string | undefined>;
    const input = {
      name: b.name as string,
      address: b.address as string,
      ...(b.contactEmail ? { contactEmail: b.contactEmail } : {}),
      ...(b.contactPhone ? { contactPhone: b.contactPhone } : {}),
    };
    const key = idempotencyKeyFor(req, owner) ?? randomUUID();
    const created = await hospitalApi.create(input, { idempotencyKey: key, owner });
    const active =
      created.status === 'active'
        ? created
        : await hospitalApi.activate(created.id, { idempotencyKey: `${key}.activate`, owner });
    logger.info('hospital created', { hospitalId: active.id, client: owner });
    res
      .status(201)
      .location(`/hospitals/${active.id}`)
      .json({ id: active.id, name: active.name, status: 'active' });
  });

  hospitals.get('/:id', guard, async (req: Request<{ id: string }>, res: Response) => {
    seen('GET /hospitals/:id', req);
    if (!HOSPITAL_ID.test(req.params.id))
      return sendProblem(res, 404, 'not-found', 'Hospital not found');
    const owner = tenant(req);
    const h = await hospitalApi.get(req.params.id, { owner });
    // The registry answers 404 to another owner; should one ever answer anyway, the service
    // still shows a tenant nothing but its own hospitals.
    if (h.owner !== owner) return sendProblem(res, 404, 'not-found', 'Hospital not found');
    res.json({
      id: h.id,
      name: h.name,
      address: h.address,
      status: h.status,
      ...(h.contactEmail ? { contactEmail: h.contactEmail } : {}),
      ...(h.contactPhone ? { contactPhone: h.contactPhone } : {}),
    });
  });

  hospitals.delete('/:id', guard, async (req: Request<{ id: string }>, res: Response) => {
    seen('DELETE /hospitals/:id', req);
    if (!HOSPITAL_ID.test(req.params.id))
      return sendProblem(res, 404, 'not-found', 'Hospital not found');
    const owner = tenant(req);
    // A conditional delete: the registry deletes only a hospital of this owner (one step, so
    // no check-then-act race between workers), and answers 404 otherwise.
    await hospitalApi.delete(req.params.id, { owner });
    logger.info('hospital deleted', { hospitalId: req.params.id, client: owner });
    res.status(204).end();
  });
  return hospitals;
}
