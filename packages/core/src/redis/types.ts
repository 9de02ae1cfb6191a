/**
 * What @resil needs of a Redis client. ioredis `Redis` and `Cluster` both fit (and a node-redis
 * client through a small adapter); @resil/core never imports ioredis's types or code for it.
 */
export interface RedisLike {
  /** ioredis's connection status: 'wait', 'connecting', 'connect', 'ready', 'reconnecting', 'close', 'end'. */
  readonly status: string;
  // biome-ignore lint/suspicious/noExplicitAny: ioredis's overloads take variadic arguments
  evalsha(...args: any[]): Promise<unknown>;
  // biome-ignore lint/suspicious/noExplicitAny: ioredis's overloads take variadic arguments
  eval(...args: any[]): Promise<unknown>;
  // biome-ignore lint/suspicious/noExplicitAny: event listeners of any shape
  on(event: string, listener: (...args: any[]) => void): unknown;
  // biome-ignore lint/suspicious/noExplicitAny: event listeners of any shape
  off(event: string, listener: (...args: any[]) => void): unknown;
  quit(): Promise<unknown>;
  disconnect(): void;
}

/** True for an object that looks like an ioredis `Redis` or `Cluster`. */
export function isRedisLike(v: unknown): v is RedisLike {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r.status === 'string' &&
    typeof r.evalsha === 'function' &&
    typeof r.on === 'function' &&
    typeof r.disconnect === 'function'
  );
}

/** Statuses in which ioredis is still making its first connection (a command may wait for it). */
export const CONNECTING_STATUSES: ReadonlySet<string> = new Set(['wait', 'connecting', 'connect']);
