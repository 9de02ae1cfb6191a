import {
  BoundedRedis,
  type ClientLease,
  isNodeRedisClient,
  isNoScript,
  leaseClient,
  type NodeRedisLike,
  type RedisClient,
  Resource,
  redisCommand,
  type Script,
  type ScriptArg,
} from '@resil/core';
import { ERROR_CODES, IdempotencyStoreError } from './errors';
import { CLAIM, COMPLETE, RELEASE, RENEW } from './scripts';

/**
 * The clients the `redis` option takes (core's `RedisClient`): an ioredis `Redis` or `Cluster`,
 * or a node-redis (`redis` v5) client or cluster (`createClient()`, `createCluster()`).
 */
export type RedisLike = RedisClient;

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

/**
 * Where records live: the `store` option takes any implementation (the package's Redis and memory
 * stores implement it; `test/store-contract.ts` is the suite a store must pass). Every method
 * rejects on a store failure (the middleware answers it as `onStoreError` says). Keys are opaque
 * strings (already hashed); `owner` is a random token per claim; `fp` a hex fingerprint.
 */
export interface IdempotencyStore {
  /** What it is, for logs ('redis', 'memory', or your own name). */
  readonly kind?: string;
  /**
   * Atomically: when `key` holds no live record, store a running claim by `owner` with `fp` that
   * expires after `leaseMs` and answer `{ claimed: true }`; otherwise answer the record (running:
   * its fp and the lease left; done: its fp and the stored response). Never both callers claimed.
   */
  claim(key: string, owner: string, fp: string, leaseMs: number): Promise<ClaimResult>;
  /** Only when `owner` holds the running claim: store the response, done, for `ttlMs`. True when stored. */
  complete(key: string, owner: string, response: StoredResponse, ttlMs: number): Promise<boolean>;
  /** Only when `owner` holds the running claim: extend its lease to `leaseMs` from now. */
  renew(key: string, owner: string, leaseMs: number): Promise<boolean>;
  /** Only when `owner` holds the running claim: delete it (the request may run again). */
  release(key: string, owner: string): Promise<boolean>;
  /** Releases what the store holds (a client lease); idempotent. Never called on a store you pass in `store`. */
  close(): Promise<void>;
}

interface MemoryRecord {
  state: 'running' | 'done';
  owner: string;
  fp: string;
  response?: StoredResponse;
  expiresAt: number;
  /** What this record counts against `maxBytes` (approximate: key, tokens, headers and body). */
  bytes: number;
}

/** Bounds of the memory store. */
export interface MemoryStoreLimits {
  /** Most records kept (in progress and completed). */
  maxRecords: number;
  /** Most bytes kept, counted as key + tokens + stored headers (JSON) + stored body. */
  maxBytes: number;
}

const RECORD_OVERHEAD = 128;

function responseBytes(r: StoredResponse): number {
  return r.body.length + Buffer.byteLength(JSON.stringify(r.headers));
}

/**
 * One process only: the embedded default (single worker, tests, the demo without Redis).
 * Bounded: at `maxRecords` or `maxBytes`, expired records go first, then the oldest completed
 * records (by completion time) are dropped early; an in-progress claim is never dropped. A new
 * claim that would need to drop one is refused (`RESIL_IDEMPOTENCY_STORE_FULL`); a completed
 * response that does not fit even then is kept without its body (`omitted`).
 */
export class MemoryStore extends Resource implements IdempotencyStore {
  readonly kind = 'memory' as const;
  /** In order of the last state change: completed records sit in order of completion. */
  readonly #records = new Map<string, MemoryRecord>();
  readonly #limits: MemoryStoreLimits;
  #bytes = 0;
  #writes = 0;
  #evicted = 0;

  constructor(limits: MemoryStoreLimits = { maxRecords: 10_000, maxBytes: 64 * 1024 * 1024 }) {
    super();
    this.#limits = limits;
  }

  /** Current use, and how many completed records were dropped early to stay within the bounds. */
  stats(): { records: number; bytes: number; evicted: number } {
    return { records: this.#records.size, bytes: this.#bytes, evicted: this.#evicted };
  }

  #delete(key: string, r: MemoryRecord): void {
    this.#records.delete(key);
    this.#bytes -= r.bytes;
  }
  #insert(key: string, r: MemoryRecord): void {
    this.#records.set(key, r);
    this.#bytes += r.bytes;
  }
  #get(key: string): MemoryRecord | undefined {
    const r = this.#records.get(key);
    if (r && r.expiresAt <= Date.now()) {
      this.#delete(key, r);
      return undefined;
    }
    return r;
  }
  #sweep(): void {
    if (++this.#writes % 1000 !== 0) return;
    const now = Date.now();
    for (const [k, r] of this.#records) if (r.expiresAt <= now) this.#delete(k, r);
  }
  /** Drops one expired record or, failing that, the oldest completed one. False when none. */
  #evictOne(): boolean {
    const now = Date.now();
    for (const [k, r] of this.#records) {
      if (r.expiresAt <= now) {
        this.#delete(k, r);
        return true;
      }
      if (r.state === 'done') {
        this.#delete(k, r);
        this.#evicted++;
        return true;
      }
    }
    return false;
  }
  #fits(records: number, bytes: number): boolean {
    return records <= this.#limits.maxRecords && bytes <= this.#limits.maxBytes;
  }

  async claim(key: string, owner: string, fp: string, leaseMs: number): Promise<ClaimResult> {
    const r = this.#get(key);
    if (!r) {
      this.#sweep();
      const bytes = RECORD_OVERHEAD + key.length + owner.length + fp.length;
      while (!this.#fits(this.#records.size + 1, this.#bytes + bytes))
        if (!this.#evictOne())
          throw new IdempotencyStoreError(
            ERROR_CODES.STORE_FULL,
            'idempotency: the memory store is full of requests in progress',
          );
      this.#insert(key, { state: 'running', owner, fp, expiresAt: Date.now() + leaseMs, bytes });
      return { claimed: true };
    }
    if (r.state === 'done' && r.response)
      return { claimed: false, state: 'done', fp: r.fp, response: r.response };
    return { claimed: false, state: 'running', fp: r.fp, leaseLeftMs: r.expiresAt - Date.now() };
  }
  async complete(key: string, owner: string, response: StoredResponse, ttlMs: number) {
    const r = this.#get(key);
    if (!r || r.owner !== owner || r.state !== 'running') return false;
    const base = RECORD_OVERHEAD + key.length + owner.length + r.fp.length;
    this.#delete(key, r); // out of the way while room is made; re-inserted last (newest)
    let kept = response;
    while (!this.#fits(this.#records.size + 1, this.#bytes + base + responseBytes(kept)))
      if (!this.#evictOne()) {
        kept = { status: response.status, headers: {}, body: Buffer.alloc(0), omitted: true };
        break;
      }
    this.#insert(key, {
      ...r,
      state: 'done',
      response: kept,
      expiresAt: Date.now() + ttlMs,
      bytes: base + responseBytes(kept),
    });
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
    this.#delete(key, r);
    return true;
  }
  /** The memory store holds no connection or timer: nothing to release (its records stay usable). */
  protected onClose(): void {}
}

/** `WAIT numreplicas timeout` after each claim and completion. */
export interface WaitForReplicas {
  /** Replicas that must acknowledge. */
  replicas: number;
  /** Longest wait for them, in ms (> 0: `WAIT` with 0 would block for ever). */
  timeoutMs: number;
}

export interface RedisStoreOptions {
  /** Longest wait for one command, in ms (core `BoundedRedis`). @default 500 */
  timeoutMs?: number;
  /** After a failure or time-out, how long calls fail fast without a command, in ms. @default 1000 */
  backoffMs?: number;
  /** `WAIT` after each claim and each completion. @default undefined (no WAIT) */
  waitForReplicas?: WaitForReplicas | undefined;
}

/** An ioredis pipeline, as far as the store uses it (`WAIT` after a script). */
interface Pipeline {
  evalsha(...args: unknown[]): unknown;
  eval(...args: unknown[]): unknown;
  wait(replicas: number, timeoutMs: number): unknown;
  exec(): Promise<Array<[Error | null, unknown]> | null>;
}
type PipelineReplies = Array<[Error | null, unknown]> | null;

const NOSCRIPT: PipelineReplies = [[new Error('NOSCRIPT'), null]];

/**
 * The script (`EVALSHA`, or `EVAL` when `first` is false) and `WAIT` on a node-redis client or
 * cluster, answered like an ioredis pipeline. Both are sent before either is answered: a client
 * writes its commands in order on its one connection; a cluster routes both by `key` to the
 * same master. Settles once both answered; the script's failure then rejects (an outage counts
 * in `BoundedRedis`, NOSCRIPT is retried by the caller); a failed `WAIT` answers as an error,
 * which counts as no acknowledgement.
 */
function scriptThenWait(
  client: NodeRedisLike,
  wait: WaitForReplicas,
  script: Script,
  key: string,
  args: ScriptArg[],
  first: boolean,
): Promise<PipelineReplies> {
  const ran = redisCommand(
    client,
    first ? ['EVALSHA', script.sha, 1, key, ...args] : ['EVAL', script.lua, 1, key, ...args],
    key,
  );
  const waited = redisCommand(client, ['WAIT', wait.replicas, wait.timeoutMs], key).then(
    (acks): [Error | null, unknown] => [null, acks],
    (err: unknown): [Error | null, unknown] => [err as Error, null],
  );
  // Settled only once both answered (as an ioredis pipeline): a NOSCRIPT retried at once would
  // queue behind this WAIT, and its time limit would count the rest of this WAIT's block.
  const scripted = ran.then(
    (result): [Error | null, unknown] => [null, result],
    (err: unknown): [Error | null, unknown] => [err as Error, null],
  );
  return Promise.all([scripted, waited]).then(([script, acks]) => {
    if (script[0]) throw script[0];
    return [script, acks];
  });
}

/**
 * Records in Redis: claim, completion, renewal and release are each one Lua script (core
 * `defineScript`), so two workers can never both claim a key, and only the claim's owner can
 * complete or release it. Every call goes through core `BoundedRedis`: bounded by `timeoutMs`,
 * never queued while the client is disconnected, and after a failure or a time-out calls fail
 * fast (`RESIL_CORE_REDIS_UNAVAILABLE`) for `backoffMs` until one call probes Redis again, so a
 * paused Redis costs one bounded wait per back-off period. With `waitForReplicas`, the claim and
 * the completion are each followed by `WAIT` on the same connection (ioredis: one pipeline;
 * node-redis: both commands sent at once on the client's one connection, on a cluster both routed
 * by the key to its master): a claim fewer replicas acknowledged is released and refused. The
 * client is an ioredis `Redis`/`Cluster` or a node-redis client/cluster (core `RedisClient`). A
 * URL is leased from core `sharedClients` (ioredis); `close()` releases the lease (a client you
 * passed stays yours).
 */
export class RedisStore extends Resource implements IdempotencyStore {
  readonly kind = 'redis' as const;
  readonly #lease: ClientLease<RedisClient>;
  readonly #redis: BoundedRedis<RedisClient>;
  readonly #wait: WaitForReplicas | undefined;

  constructor(redis: RedisClient | string, options: RedisStoreOptions = {}) {
    super();
    this.#lease = leaseClient<RedisClient>(redis);
    this.#redis = new BoundedRedis(this.#lease.client, {
      timeoutMs: options.timeoutMs ?? 500,
      backoffMs: options.backoffMs ?? 1000,
    });
    this.#wait = options.waitForReplicas && { ...options.waitForReplicas };
  }

  /** The bounded caller (its `onDegraded`/`onRestored` events, `degraded`). */
  get bounded(): BoundedRedis<RedisClient> {
    return this.#redis;
  }

  #script(script: Script, key: string, args: ScriptArg[]): Promise<unknown> {
    return this.#redis.run((c) => script.run(c, [key], args));
  }

  /**
   * Runs one script and then `WAIT` on the same connection, so `WAIT` covers the script's write.
   * ioredis: one pipeline. node-redis: both commands sent in the same tick on the client's one
   * connection (node-redis writes them in order and answers in order); on a cluster both go to
   * the master of the key's slot.
   */
  async #withWait<T>(
    wait: WaitForReplicas,
    script: Script,
    key: string,
    args: ScriptArg[],
  ): Promise<{ result: T; acks: number }> {
    const send = (c: RedisClient, first: boolean): Promise<PipelineReplies> => {
      if (isNodeRedisClient(c)) return scriptThenWait(c, wait, script, key, args, first);
      const p = (c as unknown as { pipeline(): Pipeline }).pipeline();
      if (first) p.evalsha(script.sha, 1, key, ...args);
      else p.eval(script.lua, 1, key, ...args);
      p.wait(wait.replicas, wait.timeoutMs);
      return p.exec();
    };
    const timeoutMs = this.#redis.timeoutMs + wait.timeoutMs;
    const run = (first: boolean) => this.#redis.run((c) => send(c, first), { timeoutMs });
    // NOSCRIPT: the script did not run (a restarted or flushed Redis); send it whole, with WAIT.
    // (ioredis answers it inside the pipeline's replies; node-redis rejects with its ErrorReply.)
    let out = await run(true).catch((err: unknown) => {
      if (isNoScript(err)) return NOSCRIPT;
      throw err;
    });
    if (out === NOSCRIPT || (out?.[0]?.[0] && isNoScript(out[0][0]))) out = await run(false);
    const [first, second] = out ?? [];
    if (!first)
      throw new IdempotencyStoreError(
        ERROR_CODES.NO_REPLY,
        'idempotency: the Redis pipeline answered nothing',
      );
    if (first[0]) throw first[0];
    const acks = second && !second[0] ? Number(second[1]) : -1;
    return { result: first[1] as T, acks };
  }

  async claim(key: string, owner: string, fp: string, leaseMs: number): Promise<ClaimResult> {
    let r: string[];
    const wait = this.#wait;
    const args = [owner, fp, leaseMs];
    if (wait) {
      const { result, acks } = await this.#withWait<string[]>(wait, CLAIM, key, args);
      r = result;
      if (r[0] === 'claimed' && acks < wait.replicas) {
        await this.release(key, owner).catch(() => false);
        throw new IdempotencyStoreError(
          ERROR_CODES.NOT_REPLICATED,
          'idempotency: fewer replicas than waitForReplicas.replicas acknowledged the claim',
        );
      }
    } else r = (await this.#script(CLAIM, key, args)) as string[];
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
    const args = [
      owner,
      response.status,
      JSON.stringify(response.headers),
      response.body.toString('base64'),
      response.omitted ? '1' : '0',
      ttlMs,
    ];
    const wait = this.#wait;
    if (!wait) return Number(await this.#script(COMPLETE, key, args)) === 1;
    const { result, acks } = await this.#withWait<number>(wait, COMPLETE, key, args);
    const stored = Number(result) === 1;
    if (stored && acks < wait.replicas)
      throw new IdempotencyStoreError(
        ERROR_CODES.NOT_REPLICATED,
        'idempotency: fewer replicas than waitForReplicas.replicas acknowledged the completion',
      );
    return stored;
  }
  async renew(key: string, owner: string, leaseMs: number) {
    return Number(await this.#script(RENEW, key, [owner, leaseMs])) === 1;
  }
  async release(key: string, owner: string) {
    return Number(await this.#script(RELEASE, key, [owner])) === 1;
  }

  /** Later calls reject `RESIL_CORE_CLOSED`; a client made from a URL is released (the last release quits it). */
  protected async onClose(): Promise<void> {
    await this.#redis.close();
    await this.#lease.release();
  }
}
