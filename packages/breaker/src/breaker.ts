import { SafeLogger } from '@resil/safe-log';
import { Redis } from 'ioredis';
import {
  type BreakerEvents,
  type BreakerState,
  type BreakerStats,
  Circuit,
  isFailureSafe,
} from './circuit';
import { BreakerConflictError, isCircuitOpenError } from './errors';
import { type RedisLike, RedisLink } from './stores/redis-link';

export interface CircuitBreakerOptions<A extends unknown[] = unknown[], R = unknown> {
  /** Breakers with one name share one circuit, in one process and, with `redis`, across processes. */
  name: string;
  /** Consecutive failures (across all workers with `redis`) that open the circuit. @default 5 */
  failureThreshold?: number;
  /** How long the circuit stays open before one probe call is let through. @default 60000 */
  resetTimeoutMs?: number;
  /** A call slower than this fails with BreakerTimeoutError and counts as a failure. @default none */
  timeoutMs?: number;
  /** Whether an error counts as a failure of the dependency. @default HTTP 4xx other than 408/429 do not count */
  isFailure?: (error: unknown) => boolean;
  /** Called instead of failing: on a rejection while open, and on a failure. @default none */
  fallback?: (error: unknown, ...args: A) => R | Promise<R>;
  /** Shares the circuit through Redis: an ioredis `Redis`, `Cluster`, or a URL. @default memory only */
  redis?: RedisLike | string;
  /** Prefix of every Redis key and of the change channel. @default 'resil:' */
  keyPrefix?: string;
  /** Longest wait for Redis on a failure, probe or state change; then memory. @default 300 */
  commandTimeoutMs?: number;
  /** A probe's lease: if its worker dies, another may probe after this. @default timeoutMs ?? 30000 */
  probeLeaseMs?: number;
  /** Where state changes and Redis outages are logged, or false. @default a SafeLogger('resil.breaker') */
  logger?:
    | {
        warn(m: string, meta?: Record<string, unknown>): void;
        info(m: string, meta?: Record<string, unknown>): void;
      }
    | false;
}

const KNOWN = new Set([
  'name',
  'failureThreshold',
  'resetTimeoutMs',
  'timeoutMs',
  'isFailure',
  'fallback',
  'redis',
  'keyPrefix',
  'commandTimeoutMs',
  'probeLeaseMs',
  'logger',
]);

function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as {
    status?: unknown;
    statusCode?: unknown;
    response?: { status?: unknown } | null;
  };
  for (const s of [e.status, e.statusCode, e.response?.status]) if (typeof s === 'number') return s;
  return undefined;
}

/**
 * The default `isFailure`: HTTP 4xx other than 408 and 429 are the caller's fault, not the
 * dependency's, and do not count; a circuit-open error of another breaker does not count either.
 */
export function defaultIsFailure(err: unknown): boolean {
  if (isCircuitOpenError(err)) return false;
  const s = statusOf(err);
  if (s !== undefined && s >= 400 && s < 500) return s === 408 || s === 429;
  return true;
}

// Circuits of this process, by link and name.
const memoryCircuits = new Map<string, Circuit>();
const links = new Map<object | string, Map<string, RedisLink>>();
const linkCircuits = new WeakMap<RedisLink, Map<string, Circuit>>();
let defaultLogger: SafeLogger | undefined;

function sharedLogger(): SafeLogger {
  defaultLogger ??= new SafeLogger('resil.breaker');
  return defaultLogger;
}

function linkFor(redis: RedisLike | string, keyPrefix: string): RedisLink {
  let byPrefix = links.get(redis);
  if (!byPrefix) {
    byPrefix = new Map();
    links.set(redis, byPrefix);
  }
  let link = byPrefix.get(keyPrefix);
  if (!link) {
    link = new RedisLink(redis, keyPrefix);
    byPrefix.set(keyPrefix, link);
    linkCircuits.set(link, new Map());
  }
  return link;
}

/** The handle exposed as `.breaker` on a wrapped function. */
export class Breaker {
  readonly #circuit: Circuit;
  readonly #release: () => void;
  #closed = false;

  /** @internal */
  constructor(circuit: Circuit, release: () => void) {
    this.#circuit = circuit;
    this.#release = release;
  }

  get name(): string {
    return this.#circuit.name;
  }
  get state(): BreakerState {
    return this.#circuit.state;
  }
  /** Where the circuit lives: 'redis' (shared) or 'memory' (this process). */
  get storage(): 'redis' | 'memory' {
    return this.#circuit.link ? 'redis' : 'memory';
  }
  /** True while Redis is configured but unreachable (the circuit then lives in memory). */
  get degraded(): boolean {
    return this.#circuit.link?.degraded ?? false;
  }
  /** Consecutive failures as last known by this process. */
  get failures(): number {
    return this.#circuit.failures;
  }
  get failureThreshold(): number {
    return this.#circuit.settings.failureThreshold;
  }
  get resetTimeoutMs(): number {
    return this.#circuit.settings.resetTimeoutMs;
  }
  /** Milliseconds until a probe may be let through (0 when closed). */
  get nextProbeInMs(): number {
    return this.#circuit.nextProbeInMs;
  }
  /** Counters of this process (a copy). */
  get stats(): BreakerStats {
    return { ...this.#circuit.stats };
  }

  on<K extends keyof BreakerEvents>(event: K, listener: (...args: BreakerEvents[K]) => void): this {
    this.#circuit.on(event, listener as never);
    return this;
  }
  off<K extends keyof BreakerEvents>(
    event: K,
    listener: (...args: BreakerEvents[K]) => void,
  ): this {
    this.#circuit.off(event, listener as never);
    return this;
  }
  /** Subscribes to state changes; returns a function that unsubscribes. */
  onStateChange(listener: (...args: BreakerEvents['stateChange']) => void): () => void {
    this.on('stateChange', listener);
    return () => this.off('stateChange', listener);
  }

  /** Opens the circuit for every worker (an operator's switch). */
  open(): Promise<void> {
    return this.#circuit.force('open');
  }
  /** Closes the circuit for every worker. */
  close(): Promise<void> {
    return this.#circuit.force('closed');
  }
  /**
   * Resolves when the breaker has read the shared state and listens for changes (immediately
   * without Redis). Calls never need it; await it at start-up to show a correct state at once.
   */
  ready(): Promise<void> {
    return this.#circuit.ready();
  }
  /** Reads the shared state now (it also arrives by pub/sub on its own). */
  refresh(): Promise<void> {
    return this.#circuit.refresh();
  }
  /** Leaves the circuit; the last breaker of a circuit releases its timers and Redis subscription. */
  shutdown(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#release();
  }
}

// biome-ignore lint/suspicious/noExplicitAny: a wrapper accepts any async function
type AnyAsyncFn = (this: any, ...args: any[]) => Promise<any>;

/** What `circuitBreaker()` returns: a wrapper for a function, and a TC39 method decorator. */
export type CircuitBreakerWrapper = <F extends AnyAsyncFn>(
  fn: F,
  context?: ClassMethodDecoratorContext,
) => F & { readonly breaker: Breaker };

function positiveInt(name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    throw new RangeError(`circuitBreaker: ${name} must be an integer >= ${min}`);
  return v;
}

/**
 * A circuit breaker, as a wrapper or a method decorator:
 *
 *   const create = circuitBreaker({ name: 'hospital-api.create', redis })(async (input) => api.create(input));
 *   class Client { @circuitBreaker({ name: 'hospital-api.activate' }) async activate(id) { ... } }
 *
 * With `redis`, every worker sharing the name shares one circuit: a success in the closed state
 * costs no Redis command; failures are counted by one Lua script that opens the circuit atomically;
 * changes reach every worker by pub/sub; after the reset timeout exactly one probe runs across all
 * workers. If Redis is unreachable, the circuit carries on in memory and resynchronises later.
 */
export function circuitBreaker<A extends unknown[] = unknown[], R = unknown>(
  options: CircuitBreakerOptions<A, R>,
): CircuitBreakerWrapper {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('circuitBreaker: options must be an object');
  for (const k of Object.keys(options))
    if (!KNOWN.has(k)) throw new TypeError(`circuitBreaker: unknown option "${k}"`);
  const { name } = options;
  if (typeof name !== 'string' || name.length === 0 || name.length > 200)
    throw new TypeError('circuitBreaker: name must be a non-empty string (at most 200 characters)');
  const failureThreshold = positiveInt('failureThreshold', options.failureThreshold ?? 5, 1);
  const resetTimeoutMs = positiveInt('resetTimeoutMs', options.resetTimeoutMs ?? 60_000, 1);
  const timeoutMs =
    options.timeoutMs === undefined ? undefined : positiveInt('timeoutMs', options.timeoutMs, 1);
  const commandTimeoutMs = positiveInt('commandTimeoutMs', options.commandTimeoutMs ?? 300, 1);
  const probeLeaseMs = positiveInt('probeLeaseMs', options.probeLeaseMs ?? timeoutMs ?? 30_000, 1);
  const keyPrefix = options.keyPrefix ?? 'resil:';
  if (typeof keyPrefix !== 'string')
    throw new TypeError('circuitBreaker: keyPrefix must be a string');
  for (const fn of ['isFailure', 'fallback'] as const) {
    if (options[fn] !== undefined && typeof options[fn] !== 'function')
      throw new TypeError(`circuitBreaker: ${fn} must be a function`);
  }
  const redis = options.redis;
  if (
    redis !== undefined &&
    typeof redis !== 'string' &&
    !(redis instanceof Redis) &&
    typeof (redis as { defineCommand?: unknown } | null)?.defineCommand !== 'function'
  ) {
    throw new TypeError('circuitBreaker: redis must be an ioredis Redis or Cluster, or a URL');
  }
  const isFailure = options.isFailure ?? defaultIsFailure;
  const fallback = options.fallback;
  const logger = options.logger === false ? undefined : (options.logger ?? sharedLogger());

  // One circuit per name (and link) in this process. Breakers of one name share it, so they
  // must agree on its settings (issue #16, finding 11: a second one used to get the first one's
  // thresholds silently); per-call options (timeoutMs, isFailure, fallback, logger) may differ.
  let circuit: Circuit;
  let pool: Map<string, Circuit>;
  const link = redis === undefined ? undefined : linkFor(redis, keyPrefix);
  if (link) pool = linkCircuits.get(link) as Map<string, Circuit>;
  else pool = memoryCircuits;
  const settings = { failureThreshold, resetTimeoutMs, probeLeaseMs, commandTimeoutMs };
  const existing = pool.get(name);
  if (existing) {
    for (const [option, wanted] of Object.entries(settings)) {
      const has = existing.settings[option as keyof typeof settings];
      if (has !== wanted) throw new BreakerConflictError(name, option, has, wanted);
    }
    circuit = existing;
  } else {
    circuit = new Circuit({ name, ...settings }, link);
    pool.set(name, circuit);
  }
  circuit.refs++;
  if (logger) circuit.addLogger(logger);
  const release = () => {
    if (logger) circuit.removeLogger(logger);
    circuit.refs--;
    if (circuit.refs > 0) return;
    circuit.removeAllListeners();
    pool.delete(name);
    if (link?.leave(circuit) && redis !== undefined) links.get(redis)?.delete(keyPrefix);
  };
  const breaker = new Breaker(circuit, release);

  return (<F extends AnyAsyncFn>(fn: F, context?: ClassMethodDecoratorContext) => {
    if (typeof fn !== 'function')
      throw new TypeError('circuitBreaker: expected a function to wrap');
    const wrapped = function (this: unknown, ...args: unknown[]) {
      const call = circuit.run(() => fn.apply(this, args), isFailure, timeoutMs);
      if (!fallback) return call;
      return call.catch((error: unknown) => {
        if (
          error !== null &&
          typeof error === 'object' &&
          !isCircuitOpenError(error) &&
          !isFailureSafe(isFailure, error)
        )
          throw error;
        circuit.stats.fallbacks++;
        return fallback(error, ...(args as A));
      });
    };
    Object.defineProperty(wrapped, 'name', {
      value: context ? String(context.name) : fn.name,
      configurable: true,
    });
    Object.defineProperty(wrapped, 'breaker', { value: breaker, enumerable: true });
    return wrapped as unknown as F & { readonly breaker: Breaker };
  }) as CircuitBreakerWrapper;
}
