import {
  integerOption,
  isRedisClient,
  type KeyBuilder,
  keyBuilder,
  stringOption,
} from '@resil/core';
import { encryptedStore, type Hasher, Keyring, sha256Hasher } from './crypto';
import { type IdempotencyStore, MemoryStore, type RedisLike, RedisStore } from './store';

/** Where records live and how they are protected: the options the middleware and `makeIdempotent` share. */
export interface RecordOptions {
  /**
   * Records in Redis (shared by every worker): an ioredis `Redis` or `Cluster`, a node-redis
   * client or cluster (connected by you), or a URL (an ioredis client, shared per URL).
   * @default memory (one process)
   */
  redis?: RedisLike | string;
  /**
   * Any implementation of `IdempotencyStore` (instead of `redis` or the memory store). Never
   * closed by `close()`: it stays yours. @default undefined
   */
  store?: IdempotencyStore;
  /**
   * Encrypts stored responses (status, headers, body) with AES-256-GCM and keys key names and
   * fingerprints with HMAC-SHA-256: a 32-byte Buffer (key id `'default'`), or `{ id, key }[]`
   * where the first encrypts and all decrypt (rotation; names and fingerprints are keyed with the
   * last). @default undefined (no encryption; names and fingerprints are SHA-256)
   */
  encryptionKey?: Uint8Array | ReadonlyArray<{ readonly id: string; readonly key: Uint8Array }>;
  /** @default 'resil:' */
  keyPrefix?: string;
  /** Longest wait for a Redis reply. @default 500 */
  commandTimeoutMs?: number;
  /** After a Redis failure or time-out, how long calls fail fast without a command. @default 1000 */
  redisBackoffMs?: number;
  /** Redis only: `WAIT replicas timeoutMs` after each claim and completion. @default undefined */
  waitForReplicas?: { replicas: number; timeoutMs: number };
  /** Memory store only: most records kept. @default 10000 */
  memoryMaxRecords?: number;
  /** Memory store only: most bytes kept. @default 67108864 (64 MiB) */
  memoryMaxBytes?: number;
}

export const RECORD_OPTIONS: readonly string[] = [
  'redis',
  'store',
  'encryptionKey',
  'keyPrefix',
  'commandTimeoutMs',
  'redisBackoffMs',
  'waitForReplicas',
  'memoryMaxRecords',
  'memoryMaxBytes',
];

export interface Records {
  readonly store: IdempotencyStore;
  readonly hasher: Hasher;
  readonly keys: KeyBuilder;
  /** Closes the store unless it was given (`store`). */
  close(): Promise<void>;
}

const STORE_METHODS = ['claim', 'complete', 'renew', 'release', 'close'] as const;

/** Validates the record options and builds the store (encrypted when `encryptionKey` is set). */
export function resolveRecords(owner: string, o: RecordOptions): Records {
  const int = (name: string, v: unknown, dflt: number | undefined, min: number) =>
    integerOption(owner, name, v, { default: dflt, min });
  const commandTimeoutMs = int('commandTimeoutMs', o.commandTimeoutMs, 500, 1);
  const redisBackoffMs = int('redisBackoffMs', o.redisBackoffMs, 1000, 0);
  const memoryMaxRecords = int('memoryMaxRecords', o.memoryMaxRecords, 10_000, 1);
  const memoryMaxBytes = int('memoryMaxBytes', o.memoryMaxBytes, 64 * 1024 * 1024, 1024);
  const waitForReplicas = o.waitForReplicas;
  if (waitForReplicas !== undefined) {
    if (typeof waitForReplicas !== 'object' || waitForReplicas === null)
      throw new TypeError(`${owner}: waitForReplicas must be { replicas, timeoutMs }`);
    int('waitForReplicas.replicas', waitForReplicas.replicas, undefined, 1);
    int('waitForReplicas.timeoutMs', waitForReplicas.timeoutMs, undefined, 1);
    if (o.redis === undefined) throw new TypeError(`${owner}: waitForReplicas needs redis`);
  }
  if (o.redis !== undefined && (o.memoryMaxRecords !== undefined || o.memoryMaxBytes !== undefined))
    throw new TypeError(
      `${owner}: memoryMaxRecords and memoryMaxBytes apply to the memory store only (no redis)`,
    );
  const given = o.redis;
  if (given !== undefined && typeof given !== 'string' && !isRedisClient(given))
    throw new TypeError(
      `${owner}: redis must be an ioredis Redis or Cluster, a node-redis client or cluster, or a URL`,
    );
  const custom = o.store;
  if (custom !== undefined) {
    if (typeof custom !== 'object' || custom === null)
      throw new TypeError(`${owner}: store must implement IdempotencyStore`);
    for (const m of STORE_METHODS)
      if (typeof (custom as unknown as Record<string, unknown>)[m] !== 'function')
        throw new TypeError(`${owner}: store.${m} must be a function`);
    for (const other of [
      'redis',
      'waitForReplicas',
      'memoryMaxRecords',
      'memoryMaxBytes',
      'commandTimeoutMs',
      'redisBackoffMs',
    ] as const)
      if (o[other] !== undefined)
        throw new TypeError(`${owner}: ${other} does not apply with store (configure your store)`);
  }
  // The layout is core's keyBuilder: `${keyPrefix}{idem:<hash>}`.
  const keys = keyBuilder(
    stringOption(owner, 'keyPrefix', o.keyPrefix, {
      default: 'resil:',
      pattern: /^[^{}]*$/,
      describe: 'a string without { or }',
    }),
    'idem',
  );
  const keyring = o.encryptionKey === undefined ? undefined : new Keyring(o.encryptionKey, owner);
  const base: IdempotencyStore =
    custom ??
    (given !== undefined
      ? new RedisStore(given, {
          timeoutMs: commandTimeoutMs,
          backoffMs: redisBackoffMs,
          waitForReplicas,
        })
      : new MemoryStore({ maxRecords: memoryMaxRecords, maxBytes: memoryMaxBytes }));
  return {
    store: keyring ? encryptedStore(base, keyring) : base,
    hasher: keyring ?? sha256Hasher,
    keys,
    close: () => (custom ? Promise.resolve() : base.close()),
  };
}
