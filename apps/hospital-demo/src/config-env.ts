import { createHash, randomBytes } from 'node:crypto';

/**
 * Reading the environment for src/config.ts: typed readers that collect every problem instead
 * of throwing at the first, and the parsers of API_KEYS and TRUST_PROXY. No value of a key is
 * ever put in a problem.
 */

/** One API key holder. The key itself is never kept: only its SHA-256 digest. */
export interface ApiKeyEntry {
  /** Who holds the key; the idempotency scope and the access-log `client` field. */
  readonly owner: string;
  /** sha256 of the key (32 bytes), compared in constant time. */
  readonly digest: Buffer;
}

/** Thrown by loadConfig (src/config.ts) with every problem found, one per line. Values of keys are never echoed. */
export class ConfigError extends Error {
  readonly code = 'RESIL_DEMO_CONFIG_INVALID';
  readonly problems: readonly string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = Object.freeze([...problems]);
  }
}

export function isConfigError(err: unknown): err is ConfigError {
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { code?: unknown }).code === 'RESIL_DEMO_CONFIG_INVALID'
  );
}

export type Env = Record<string, string | undefined>;

export function digestKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

export const MIN_KEY_LENGTH = 16;

/** Readers of `env` that push what is wrong to `problems` and return the default then. */
export function envReader(env: Env, problems: string[]) {
  const clean = (name: string): string | undefined => {
    const v = env[name];
    if (v === undefined) return undefined;
    const t = v.trim();
    return t === '' ? undefined : t;
  };

  const int = (name: string, def: number, min: number, max: number): number => {
    const raw = clean(name);
    if (raw === undefined) return def;
    if (!/^\d+$/.test(raw)) {
      problems.push(`${name} must be a whole number between ${min} and ${max} (got "${raw}")`);
      return def;
    }
    const n = Number(raw);
    if (n < min || n > max) {
      problems.push(`${name} must be between ${min} and ${max} (got ${n})`);
      return def;
    }
    return n;
  };

  const num = (name: string, def: number, min: number, max: number): number => {
    const raw = clean(name);
    if (raw === undefined) return def;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) {
      problems.push(`${name} must be a number between ${min} and ${max} (got "${raw}")`);
      return def;
    }
    return n;
  };

  const url = (name: string, protocols: string[]): string | undefined => {
    const raw = clean(name);
    if (raw === undefined) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      problems.push(`${name} must be a URL (${protocols.join(' or ')})`);
      return undefined;
    }
    if (!protocols.includes(parsed.protocol)) {
      problems.push(`${name} must use ${protocols.join(' or ')} (got ${parsed.protocol})`);
      return undefined;
    }
    // A URL may carry a password (redis://:secret@host): never echo it, keep it as given.
    return raw.replace(/\/+$/, '');
  };
  return { clean, int, num, url };
}

/** API_KEYS (`owner:key,owner2:key2`); unset: one development key, generated. */
export function parseApiKeys(
  rawKeys: string | undefined,
  problems: string[],
): { apiKeys: readonly ApiKeyEntry[]; generatedApiKey: string | undefined } {
  const apiKeys: ApiKeyEntry[] = [];
  let generatedApiKey: string | undefined;
  if (rawKeys === undefined) {
    generatedApiKey = `dev_${randomBytes(24).toString('base64url')}`;
    apiKeys.push({ owner: 'dev', digest: digestKey(generatedApiKey) });
  } else {
    const owners = new Set<string>();
    rawKeys.split(',').forEach((entry, i) => {
      const item = entry.trim();
      if (item === '') return;
      const colon = item.indexOf(':');
      const owner = colon > 0 ? item.slice(0, colon).trim() : `client-${i + 1}`;
      const key = colon > 0 ? item.slice(colon + 1).trim() : item;
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(owner)) {
        problems.push(
          `API_KEYS entry ${i + 1}: the owner must be 1-64 letters, digits, '.', '_' or '-'`,
        );
        return;
      }
      if (key.length < MIN_KEY_LENGTH) {
        problems.push(
          `API_KEYS entry ${i + 1} (${owner}): the key must be at least ${MIN_KEY_LENGTH} characters`,
        );
        return;
      }
      if (owners.has(owner)) {
        problems.push(`API_KEYS: owner "${owner}" appears twice`);
        return;
      }
      owners.add(owner);
      apiKeys.push({ owner, digest: digestKey(key) });
    });
    if (apiKeys.length === 0 && problems.length === 0) {
      problems.push('API_KEYS is set but holds no key (format: owner:key,owner2:key2)');
    }
  }
  return { apiKeys: Object.freeze(apiKeys), generatedApiKey };
}

/** TRUST_PROXY: `true`, `false`, a hop count, or Express's list of addresses / names. */
export function parseTrustProxy(rawTrust: string | undefined): boolean | number | string {
  let trustProxy: boolean | number | string = false;
  if (rawTrust !== undefined) {
    if (rawTrust === 'true') trustProxy = true;
    else if (rawTrust === 'false') trustProxy = false;
    else if (/^\d+$/.test(rawTrust)) trustProxy = Number(rawTrust);
    else trustProxy = rawTrust;
  }
  return trustProxy;
}
