import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { type ApiKeyEntry, digestKey } from './config';
import { sendProblem } from './errors';

/**
 * Bearer API keys. The presented key is hashed (sha256) and compared with every configured
 * digest by `crypto.timingSafeEqual`, without stopping at the first match: equal-length digests
 * and a fixed amount of work, so timing reveals neither the key nor which owner matched.
 */

const owners = new WeakMap<Request, string>();

/** The owner of the request's API key (set by `apiKeyAuth`). */
export function ownerOf(req: Request): string | undefined {
  return owners.get(req);
}

function presentedKey(req: Request): string | undefined {
  const h = req.get('authorization');
  if (!h) return undefined;
  const m = /^Bearer[ ]+([^\s]{1,512})$/i.exec(h.trim());
  return m?.[1];
}

export function matchKey(key: string, entries: readonly ApiKeyEntry[]): string | undefined {
  const digest = digestKey(key);
  let found: string | undefined;
  for (const e of entries) {
    if (timingSafeEqual(digest, e.digest) && found === undefined) found = e.owner;
  }
  return found;
}

function unauthorized(res: Response, detail: string): void {
  res.setHeader('WWW-Authenticate', 'Bearer realm="hospital-demo"');
  sendProblem(res, 401, 'unauthorized', 'Unauthorized', detail);
}

/** Requires `Authorization: Bearer <key>` with one of `entries`; records the key's owner. */
export function apiKeyAuth(entries: readonly ApiKeyEntry[]): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const key = presentedKey(req);
    if (key === undefined) return unauthorized(res, 'send Authorization: Bearer <API key>');
    const owner = matchKey(key, entries);
    if (owner === undefined) return unauthorized(res, 'the API key is not valid');
    owners.set(req, owner);
    res.locals.client = owner;
    next();
  };
}

/** Requires the admin key (a user key is refused with 403). */
export function adminAuth(
  adminDigest: Buffer,
  userEntries: readonly ApiKeyEntry[],
): RequestHandler {
  const admin: readonly ApiKeyEntry[] = [{ owner: 'admin', digest: adminDigest }];
  return (req: Request, res: Response, next: NextFunction) => {
    const key = presentedKey(req);
    if (key === undefined) return unauthorized(res, 'send Authorization: Bearer <admin key>');
    if (matchKey(key, admin) === 'admin') {
      owners.set(req, 'admin');
      res.locals.client = 'admin';
      return next();
    }
    if (matchKey(key, userEntries) !== undefined) {
      return sendProblem(res, 403, 'forbidden', 'Forbidden', 'this endpoint needs the admin key');
    }
    unauthorized(res, 'the API key is not valid');
  };
}
