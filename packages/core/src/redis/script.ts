import { createHash } from 'node:crypto';
import { CORE_ERROR_CODES, ResilError } from '../errors';
import { hashTagOf } from '../keys';
import { isNodeRedisClient, type NodeRedisLike, sendNodeRedis } from './node-redis';

/** What a script needs of a client: ioredis `Redis` and `Cluster` fit (a pipeline does too). */
export interface ScriptClient {
  // biome-ignore lint/suspicious/noExplicitAny: ioredis's overloads take variadic arguments
  evalsha(...args: any[]): Promise<unknown>;
  // biome-ignore lint/suspicious/noExplicitAny: ioredis's overloads take variadic arguments
  eval(...args: any[]): Promise<unknown>;
}

export type ScriptArg = string | number | Buffer;

/**
 * A Lua script run by `EVALSHA`, falling back to `EVAL` (which also caches it) when Redis answers
 * `NOSCRIPT` (first use, a restarted or flushed Redis, another Cluster node). On a Cluster, it
 * goes to the node of the first key (ioredis routes it; for node-redis the first key is passed to
 * `sendCommand`); all keys must share a hash tag. `run` takes an ioredis client, Cluster or
 * pipeline, or a node-redis client or cluster (`sendCommand`; numbers are sent as text).
 */
export interface Script {
  readonly lua: string;
  /** SHA-1 of the script, hex, as Redis knows it. */
  readonly sha: string;
  /** Keys the script takes (checked on each run), or undefined for any number. */
  readonly numberOfKeys: number | undefined;
  /** Runs the script on `client` with `keys` and `args`. */
  run(
    client: ScriptClient | NodeRedisLike,
    keys: readonly string[],
    args?: readonly ScriptArg[],
  ): Promise<unknown>;
}

/**
 * True when `err` is Redis's `NOSCRIPT` answer (the script is not cached: run it by `EVAL`). For
 * code that sends a script by hand (a pipeline with other commands) rather than through `run`.
 */
export function isNoScript(err: unknown): boolean {
  const m = (err as { message?: unknown } | null)?.message;
  return typeof m === 'string' && m.startsWith('NOSCRIPT');
}

/** Defines a script once (module level); run it on any client. */
export function defineScript(lua: string, options: { numberOfKeys?: number } = {}): Script {
  if (typeof lua !== 'string' || lua.trim().length === 0)
    throw new TypeError('defineScript: lua must be a non-empty string');
  const { numberOfKeys } = options;
  if (numberOfKeys !== undefined && (!Number.isInteger(numberOfKeys) || numberOfKeys < 0))
    throw new RangeError('defineScript: numberOfKeys must be an integer >= 0');
  const sha = createHash('sha1').update(lua).digest('hex');
  return Object.freeze({
    lua,
    sha,
    numberOfKeys,
    async run(
      client: ScriptClient | NodeRedisLike,
      keys: readonly string[],
      args: readonly ScriptArg[] = [],
    ) {
      if (numberOfKeys !== undefined && keys.length !== numberOfKeys)
        throw new RangeError(`script: expected ${numberOfKeys} key(s), got ${keys.length}`);
      if (keys.length > 1) {
        const tag = hashTagOf(keys[0] as string);
        for (const k of keys)
          if (hashTagOf(k) !== tag)
            throw new ResilError(
              CORE_ERROR_CODES.CROSS_SLOT,
              'script: all keys of one script must share a hash tag (one Redis Cluster slot)',
            );
      }
      if (typeof (client as ScriptClient).evalsha !== 'function' && isNodeRedisClient(client)) {
        // node-redis: EVALSHA/EVAL by sendCommand; on a cluster the first key picks the node
        const firstKey = keys[0];
        try {
          return await sendNodeRedis(
            client,
            ['EVALSHA', sha, keys.length, ...keys, ...args],
            firstKey,
          );
        } catch (err) {
          if (!isNoScript(err)) throw err;
          return sendNodeRedis(client, ['EVAL', lua, keys.length, ...keys, ...args], firstKey);
        }
      }
      const c = client as ScriptClient;
      try {
        return await c.evalsha(sha, keys.length, ...keys, ...args);
      } catch (err) {
        if (!isNoScript(err)) throw err;
        return c.eval(lua, keys.length, ...keys, ...args);
      }
    },
  });
}
