import type { Cluster, Redis } from 'ioredis';
import { CLAIM, COMPLETE, RELEASE, RENEW } from './scripts';

export type RedisLike = Redis | Cluster;

/** A stored response. */
export interface StoredResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
  /** The body was larger than maxBodyBytes and was not kept. */
  omitted: boolean;
}

export type ClaimResult =
  | { claimed: true }
  | { claimed: false; state: 'running'; fp: string; leaseLeftMs: number }
  | { claimed: false; state: 'done'; fp: string; response: StoredResponse };

/** Where records live. Every method rejects on a store failure (the middleware decides). */
export interface IdempotencyStore {
  readonly kind: 'redis' | 'memory';
  claim(key: string, owner: string, fp: string, leaseMs: number): Promise<ClaimResult>;
  complete(key: string, owner: string, response: StoredResponse, ttlMs: number): Promise<boolean>;
  renew(key: string, owner: string, leaseMs: number): Promise<boolean>;
  release(key: string, owner: string): Promise<boolean>;
}

interface MemoryRecord {
  state: 'running' | 'done';
  owner: string;
  fp: string;
  response?: StoredResponse;
  expiresAt: number;
}

/** One process only: the embedded default (single worker, tests, the demo without Redis). */
export class MemoryStore implements IdempotencyStore {
  readonly kind = 'memory' as const;
  readonly #records = new Map<string, MemoryRecord>();
  #writes = 0;

  #get(key: string): MemoryRecord | undefined {
    const r = this.#records.get(key);
    if (r && r.expiresAt <= Date.now()) {
      this.#records.delete(key);
      return undefined;
    }
    return r;
  }
  #sweep(): void {
    if (++this.#writes % 1000 !== 0) return;
    const now = Date.now();
    for (const [k, r] of this.#records) if (r.expiresAt <= now) this.#records.delete(k);
  }
  async claim(key: string, owner: string, fp: string, leaseMs: number): Promise<ClaimResult> {
    const r = this.#get(key);
    if (!r) {
      this.#sweep();
      this.#records.set(key, { state: 'running', owner, fp, expiresAt: Date.now() + leaseMs });
      return { claimed: true };
    }
    if (r.state === 'done' && r.response)
      return { claimed: false, state: 'done', fp: r.fp, response: r.response };
    return { claimed: false, state: 'running', fp: r.fp, leaseLeftMs: r.expiresAt - Date.now() };
  }
  async complete(key: string, owner: string, response: StoredResponse, ttlMs: number) {
    const r = this.#get(key);
    if (!r || r.owner !== owner) return false;
    Object.assign(r, { state: 'done', response, expiresAt: Date.now() + ttlMs });
    return true;
  }
  async renew(key: string, owner: string, leaseMs: number) {
    const r = this.#get(key);
    if (!r || r.owner !== owner || r.state !== 'running') return false;
    r.expiresAt = Date.now() + leaseMs;
    return true;
  }
  async release(key: string, owner: string) {
    const r = this.#get(key);
    if (!r || r.owner !== owner || r.state !== 'running') return false;
    this.#records.delete(key);
    return true;
  }
}

type Scripts = {
  resilIdemClaim(key: string, owner: string, fp: string, leaseMs: number): Promise<string[]>;
  resilIdemComplete(
    key: string,
    owner: string,
    status: number,
    headers: string,
    body: string,
    omitted: string,
    ttlMs: number,
  ): Promise<number>;
  resilIdemRenew(key: string, owner: string, leaseMs: number): Promise<number>;
  resilIdemRelease(key: string, owner: string): Promise<number>;
};
const defined = new WeakSet<object>();

/**
 * Records in Redis: claim, completion, renewal and release are each one Lua script, so two
 * workers can never both claim a key, and only the claim's owner can complete or release it.
 * Every call is bounded by `timeoutMs` and never queued while the client is disconnected.
 */
export class RedisStore implements IdempotencyStore {
  readonly kind = 'redis' as const;
  readonly #client: RedisLike;
  readonly #timeoutMs: number;

  constructor(client: RedisLike, timeoutMs: number) {
    this.#client = client;
    this.#timeoutMs = timeoutMs;
    if (!defined.has(client)) {
      for (const [name, lua] of [
        ['resilIdemClaim', CLAIM],
        ['resilIdemComplete', COMPLETE],
        ['resilIdemRenew', RENEW],
        ['resilIdemRelease', RELEASE],
      ] as const)
        client.defineCommand(name, { numberOfKeys: 1, lua });
      defined.add(client);
    }
  }

  async #run<T>(call: (c: Scripts) => Promise<T>): Promise<T> {
    const s = this.#client.status;
    if (s !== 'ready' && s !== 'wait' && s !== 'connecting' && s !== 'connect')
      throw new Error('redis not ready');
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        call(this.#client as unknown as Scripts),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('redis timeout')), this.#timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async claim(key: string, owner: string, fp: string, leaseMs: number): Promise<ClaimResult> {
    const r = await this.#run((c) => c.resilIdemClaim(key, owner, fp, leaseMs));
    if (r[0] === 'claimed') return { claimed: true };
    const [state, storedFp = '', status, headers, body, omitted, pttl] = r;
    if (state === 'done')
      return {
        claimed: false,
        state: 'done',
        fp: storedFp,
        response: {
          status: Number(status),
          headers: headers ? (JSON.parse(headers) as Record<string, string | string[]>) : {},
          body: Buffer.from(body ?? '', 'base64'),
          omitted: omitted === '1',
        },
      };
    return {
      claimed: false,
      state: 'running',
      fp: storedFp,
      leaseLeftMs: Math.max(0, Number(pttl)),
    };
  }
  async complete(key: string, owner: string, response: StoredResponse, ttlMs: number) {
    const ok = await this.#run((c) =>
      c.resilIdemComplete(
        key,
        owner,
        response.status,
        JSON.stringify(response.headers),
        response.body.toString('base64'),
        response.omitted ? '1' : '0',
        ttlMs,
      ),
    );
    return Number(ok) === 1;
  }
  async renew(key: string, owner: string, leaseMs: number) {
    return Number(await this.#run((c) => c.resilIdemRenew(key, owner, leaseMs))) === 1;
  }
  async release(key: string, owner: string) {
    return Number(await this.#run((c) => c.resilIdemRelease(key, owner))) === 1;
  }
}
