// TODO(interim): delete when @resil/breaker lands; src/resil.ts then re-exports the package.
// A minimal breaker with the DESIGN.md contract. With `redis`, the state lives in one Redis hash
// per breaker name (so every worker shares one circuit; one EVAL per call, no pub/sub); when Redis
// fails the breaker carries on in memory. @resil/breaker does this properly (no round trip on a
// closed-state success, pub/sub, resynchronisation).
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { type AnyAsyncFn, makeWrapper, type WrapperDecorator } from './wrap';

export type BreakerState = 'closed' | 'open' | 'halfOpen';

export class CircuitOpenError extends Error {
  readonly code = 'ECIRCUITOPEN';
  readonly breakerName: string;
  readonly retryAfterMs: number;
  constructor(breakerName: string, retryAfterMs: number) {
    super(`circuit ${breakerName} is open`);
    this.name = 'CircuitOpenError';
    this.breakerName = breakerName;
    this.retryAfterMs = retryAfterMs;
  }
}

export function isCircuitOpenError(err: unknown): err is CircuitOpenError {
  return (err as { code?: unknown } | null)?.code === 'ECIRCUITOPEN';
}

export interface CircuitBreakerOptions {
  name: string;
  failureThreshold?: number;
  resetTimeoutMs?: number;
  redis?: unknown;
  keyPrefix?: string;
  isFailure?: (err: unknown) => boolean;
}

const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;
const OPEN = `redis.call('HSET', KEYS[1], 'state', 'open', 'openUntil', now + tonumber(ARGV[4]), 'probeUntil', 0)
  redis.call('PEXPIRE', KEYS[1], 86400000)
  return {'open', tonumber(redis.call('HGET', KEYS[1], 'failures') or '0'), now + tonumber(ARGV[4]), now}`;

// KEYS[1] hash; ARGV[1] probe lease ms. Returns {decision, failures, until, now}.
const ADMIT = `${NOW}
local h = redis.call('HMGET', KEYS[1], 'state', 'failures', 'openUntil', 'probeUntil')
local state = h[1] or 'closed'
local failures = tonumber(h[2] or '0')
local openUntil = tonumber(h[3] or '0')
local probeUntil = tonumber(h[4] or '0')
if state == 'closed' then return {'closed', failures, 0, now} end
if state == 'open' and now < openUntil then return {'open', failures, openUntil, now} end
if probeUntil > now then return {'open', failures, probeUntil, now} end
redis.call('HSET', KEYS[1], 'state', 'halfOpen', 'probeUntil', now + tonumber(ARGV[1]))
redis.call('PEXPIRE', KEYS[1], 86400000)
return {'probe', failures, 0, now}`;

// KEYS[1] hash; ARGV: outcome, probe ('1'/'0'), threshold, resetTimeoutMs.
const RECORD = `${NOW}
if ARGV[1] == 'success' then
  if ARGV[2] == '1' then
    redis.call('HSET', KEYS[1], 'state', 'closed', 'failures', 0, 'openUntil', 0, 'probeUntil', 0)
    redis.call('PEXPIRE', KEYS[1], 86400000)
    return {'closed', 0, 0, now}
  end
  redis.call('HSET', KEYS[1], 'failures', 0)
  local s = redis.call('HGET', KEYS[1], 'state') or 'closed'
  return {s, 0, tonumber(redis.call('HGET', KEYS[1], 'openUntil') or '0'), now}
end
if ARGV[1] == 'open' then ${OPEN} end
if ARGV[1] == 'close' then
  redis.call('HSET', KEYS[1], 'state', 'closed', 'failures', 0, 'openUntil', 0, 'probeUntil', 0)
  return {'closed', 0, 0, now}
end
if ARGV[1] == 'read' then
  local h = redis.call('HMGET', KEYS[1], 'state', 'failures', 'openUntil')
  return {h[1] or 'closed', tonumber(h[2] or '0'), tonumber(h[3] or '0'), now}
end
local f = redis.call('HINCRBY', KEYS[1], 'failures', 1)
redis.call('PEXPIRE', KEYS[1], 86400000)
local s = redis.call('HGET', KEYS[1], 'state') or 'closed'
if ARGV[2] == '1' or (s == 'closed' and f >= tonumber(ARGV[3])) then ${OPEN} end
return {s, f, tonumber(redis.call('HGET', KEYS[1], 'openUntil') or '0'), now}`;

type Reply = [string, number, number, number];

export class Breaker extends EventEmitter {
  readonly name: string;
  readonly storage: 'redis' | 'memory';
  state: BreakerState = 'closed';
  failures = 0;
  readonly failureThreshold: number;
  readonly resetTimeoutMs: number;
  #openUntil = 0;
  #probing = false;
  #clockSkewMs = 0;
  readonly #redis: Redis | undefined;
  readonly #key: string;

  constructor(
    options: Required<Omit<CircuitBreakerOptions, 'redis' | 'isFailure'>> & { redis?: Redis },
  ) {
    super();
    this.name = options.name;
    this.failureThreshold = options.failureThreshold;
    this.resetTimeoutMs = options.resetTimeoutMs;
    this.#redis = options.redis;
    this.storage = options.redis ? 'redis' : 'memory';
    this.#key = `${options.keyPrefix}{demo-breaker:${options.name}}`;
  }

  #set(state: BreakerState, failures: number, openUntil: number): void {
    this.failures = failures;
    this.#openUntil = openUntil;
    if (state === this.state) return;
    const from = this.state;
    this.state = state;
    this.emit('stateChange', { name: this.name, from, to: state });
  }

  async #eval(script: string, ...args: Array<string | number>): Promise<Reply | undefined> {
    if (!this.#redis) return undefined;
    try {
      const r = (await this.#redis.eval(script, 1, this.#key, ...args)) as [
        string,
        number,
        number,
        number,
      ];
      this.#clockSkewMs = Number(r[3]) - Date.now();
      return [r[0], Number(r[1]), Number(r[2]), Number(r[3])];
    } catch {
      return undefined; // Redis unreachable: carry on in memory
    }
  }

  #apply(r: Reply): void {
    const state = r[0] === 'probe' ? 'halfOpen' : (r[0] as BreakerState);
    this.#set(state, r[1], r[2] - this.#clockSkewMs);
  }

  get nextProbeInMs(): number {
    return this.state === 'open' ? Math.max(0, Math.round(this.#openUntil - Date.now())) : 0;
  }

  async open(): Promise<void> {
    const r = await this.#eval(RECORD, 'open', '0', this.failureThreshold, this.resetTimeoutMs);
    if (r) this.#apply(r);
    else this.#set('open', this.failures, Date.now() + this.resetTimeoutMs);
  }

  async close(): Promise<void> {
    const r = await this.#eval(RECORD, 'close', '0', this.failureThreshold, this.resetTimeoutMs);
    if (r) this.#apply(r);
    else this.#set('closed', 0, 0);
  }

  /** Re-reads the shared state (for the status page). */
  async refresh(): Promise<void> {
    const r = await this.#eval(RECORD, 'read', '0', this.failureThreshold, this.resetTimeoutMs);
    if (r) this.#apply(r);
  }

  async #admit(): Promise<boolean> {
    const r = await this.#eval(ADMIT, this.resetTimeoutMs);
    if (r) {
      this.#apply(r);
      if (r[0] === 'open') throw new CircuitOpenError(this.name, Math.max(0, r[2] - r[3]));
      return r[0] === 'probe';
    }
    if (this.state === 'open') {
      if (this.nextProbeInMs > 0) throw new CircuitOpenError(this.name, this.nextProbeInMs);
      this.#set('halfOpen', this.failures, 0);
    }
    if (this.state === 'halfOpen') {
      if (this.#probing) throw new CircuitOpenError(this.name, this.resetTimeoutMs);
      this.#probing = true;
      return true;
    }
    return false;
  }

  async #record(outcome: 'success' | 'failure', probe: boolean): Promise<void> {
    if (outcome === 'success' && !probe && this.failures === 0 && this.state === 'closed') return;
    const r = await this.#eval(
      RECORD,
      outcome,
      probe ? '1' : '0',
      this.failureThreshold,
      this.resetTimeoutMs,
    );
    if (r) return this.#apply(r);
    if (outcome === 'success') this.#set(probe ? 'closed' : this.state, 0, this.#openUntil);
    else {
      const failures = this.failures + 1;
      if (probe || failures >= this.failureThreshold)
        this.#set('open', failures, Date.now() + this.resetTimeoutMs);
      else this.failures = failures;
    }
  }

  /** @internal */
  async run(fn: () => Promise<unknown>, isFailure: (e: unknown) => boolean): Promise<unknown> {
    const probe = await this.#admit();
    try {
      const out = await fn();
      await this.#record('success', probe);
      return out;
    } catch (err) {
      await this.#record(isFailure(err) ? 'failure' : 'success', probe);
      throw err;
    } finally {
      if (probe) this.#probing = false;
    }
  }

  shutdown(): void {
    this.removeAllListeners();
  }
}

const defaultIsFailure = (err: unknown): boolean => {
  const s = (err as { status?: unknown } | null)?.status;
  return !(typeof s === 'number' && s >= 400 && s < 500);
};

export function circuitBreaker(
  options: CircuitBreakerOptions,
): WrapperDecorator<{ breaker: Breaker }> {
  const breaker = new Breaker({
    name: options.name,
    failureThreshold: options.failureThreshold ?? 5,
    resetTimeoutMs: options.resetTimeoutMs ?? 60000,
    keyPrefix: options.keyPrefix ?? 'resil:',
    ...(options.redis ? { redis: options.redis as Redis } : {}),
  });
  const isFailure = options.isFailure ?? defaultIsFailure;
  return makeWrapper(
    (fn: AnyAsyncFn) =>
      function (this: unknown, ...args: unknown[]) {
        return breaker.run(() => fn.apply(this, args), isFailure);
      },
    { breaker },
  );
}
