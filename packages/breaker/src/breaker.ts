import { randomBytes } from 'node:crypto';
import {
  booleanOption,
  type CallContext,
  type Closeable,
  checkOptions,
  type Disposable,
  type Event,
  functionOption,
  integerOption,
  isCallContext,
  isRedisClient,
  type Logger,
  makeCloseable,
  noopDisposable,
  noopLogger,
  OptionRangeError,
  OptionTypeError,
  type RedisClient,
  Resource,
  resolveLogger,
  statusOf,
  stringOption,
} from '@resil/core';
import {
  type BreakerDegradedEvent,
  type BreakerRestoredEvent,
  type BreakerState,
  type BreakerStats,
  type CallFailedEvent,
  type CallRejectedEvent,
  type CallSucceededEvent,
  type CallTimedOutEvent,
  Circuit,
  type ConfiguredEvent,
  defaultIsFailureResult,
  isFailureSafe,
  type StateChangeEvent,
} from './circuit';
import { BreakerConflictError, isCircuitOpenError } from './errors';
import { checkConfigure, DYNAMIC_OPTIONS, type DynamicSettings, resolveDynamic } from './settings';
import { RedisLink } from './stores/redis-link';

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
  /**
   * Whether a resolved result counts as a failure (it is still returned to the caller), e.g. a
   * fetch `Response` with status 503. @default `defaultIsFailureResult`: a Response-like result
   * (numeric `status`, `headers` object) with status 5xx, 408 or 429; `false` turns it off
   */
  isFailureResult?: ((result: unknown) => boolean) | false;
  /** 'consecutive': failureThreshold failures in a row; 'rate': a failure rate over windowMs. @default 'consecutive' */
  mode?: 'consecutive' | 'rate';
  /** rate mode: the failure rate (0–1] at or above which the circuit opens. @default 0.5 */
  failureRateThreshold?: number;
  /** rate mode: calls in the window (all workers) before the rate may open the circuit. @default 100 */
  minimumCalls?: number;
  /** rate mode and quorum: the rolling window (10 buckets), in ms (>= 100). @default 60000 */
  windowMs?: number;
  /** rate mode: a call at least this slow (ms) is a slow call; 0: none. @default 0 */
  slowCallDurationMs?: number;
  /** rate mode: the slow-call rate (0–1] at or above which the circuit opens. @default 1 */
  slowCallRateThreshold?: number;
  /** Trial calls let through in the half-open state, across all workers; all must succeed. @default 1 */
  halfOpenPermits?: number;
  /** Distinct workers that must have failed within windowMs before the circuit opens. @default 1 */
  quorum?: number;
  /** The longest open duration after repeated failed probes. @default resetTimeoutMs (no back-off) */
  resetTimeoutMaxMs?: number;
  /** Each failed probe in a row multiplies the open duration by this (1–100). @default 2 */
  resetBackoffFactor?: number;
  /** rate mode with redis: counts go to Redis once a batch holds this many calls. @default 100 */
  flushEvery?: number;
  /** rate mode with redis: counts go to Redis at the latest this long after a batch's first call. @default 1000 */
  flushIntervalMs?: number;
  /** This process's id in the quorum (1–100 characters). @default a random id per process */
  workerId?: string;
  /** Called instead of failing: on a rejection while open, and on a failure. @default none */
  fallback?: (error: unknown, ...args: A) => R | Promise<R>;
  /**
   * Shares the circuit through Redis: an ioredis `Redis` or `Cluster`, a node-redis (`redis` v5)
   * `createClient()` or `createCluster()` client, or a URL (an ioredis client leased from
   * @resil/core's `sharedClients`: one client per URL in the process). @default memory only
   */
  redis?: RedisClient | string;
  /** Prefix of every Redis key and of the change channel (no `{` or `}`). @default 'resil:' */
  keyPrefix?: string;
  /** Longest wait for Redis on a failure, probe or state change; then memory. @default 300 */
  commandTimeoutMs?: number;
  /** A probe's lease: if its worker dies, another may probe after this. @default timeoutMs ?? 30000 */
  probeLeaseMs?: number;
  /**
   * Where state changes and Redis outages are logged (`SafeLogger` of @resil/safe-log fits), or
   * false. @default @resil/core's `codeLogger('resil.breaker')` (codes and names only, warn and up)
   */
  logger?: Logger | false;
  /**
   * Reports events and durations to OpenTelemetry (`@opentelemetry/api`, when installed). false:
   * none, and a call is not timed unless someone listens to `onSuccess`/`onFailure` (the
   * healthy path then costs what it did before telemetry; see Overhead). Breakers of one name
   * must agree. @default true
   */
  telemetry?: boolean;
}

const OWNER = 'circuitBreaker';
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
  'telemetry',
  'isFailureResult',
  'flushEvery',
  'flushIntervalMs',
  'workerId',
  ...DYNAMIC_OPTIONS,
]);

/** This process's id in quorum sets. */
const PROCESS_WORKER_ID = `${process.pid}-${randomBytes(6).toString('hex')}`;

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

function linkFor(redis: RedisClient | string, keyPrefix: string): RedisLink {
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

function dropLink(redis: RedisClient | string, keyPrefix: string, link: RedisLink): void {
  const byPrefix = links.get(redis);
  if (byPrefix?.get(keyPrefix) !== link) return;
  byPrefix.delete(keyPrefix);
  if (byPrefix.size === 0) links.delete(redis);
}

/**
 * The handle exposed as `.breaker` on a wrapped function. `close()` (or `await using`) releases
 * what it holds: its listeners, its share of the circuit and, with the last breaker on a Redis
 * client, the subscriber connection and the client's lease. Forcing the circuit closed is a
 * state change, `forceClose()`.
 */
export class Breaker extends Resource {
  readonly #circuit: Circuit;
  readonly #release: () => Promise<void>;
  readonly #subscriptions = new Set<Disposable>();

  /** @internal */
  constructor(circuit: Circuit, release: () => Promise<void>) {
    super();
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
  /** 'consecutive' or 'rate' (configure() may change it). */
  get mode(): 'consecutive' | 'rate' {
    return this.#circuit.settings.mode;
  }
  /** The circuit's current settings, as configure() may have changed them (a copy). */
  get settings(): Readonly<DynamicSettings> {
    const out = {} as Record<string, unknown>;
    for (const k of DYNAMIC_OPTIONS) out[k] = this.#circuit.settings[k];
    return out as unknown as DynamicSettings;
  }
  /** Counters of this process (a copy). */
  get stats(): BreakerStats {
    return { ...this.#circuit.stats };
  }

  /** New settings applied (configure() in this worker or another one). */
  readonly onConfigured: Event<ConfiguredEvent> = (l) => this.#track(this.#circuit.onConfigured, l);
  /** Any state change, whoever made it (this worker, another one, an operator). */
  readonly onStateChange: Event<StateChangeEvent> = (l) =>
    this.#track(this.#circuit.onStateChange, l);
  /** A call succeeded. */
  readonly onSuccess: Event<CallSucceededEvent> = (l) => this.#track(this.#circuit.onSuccess, l);
  /** A call failed and the failure counted. */
  readonly onFailure: Event<CallFailedEvent> = (l) => this.#track(this.#circuit.onFailure, l);
  /** A call was rejected without calling the function. */
  readonly onRejected: Event<CallRejectedEvent> = (l) => this.#track(this.#circuit.onRejected, l);
  /** A call exceeded `timeoutMs`. */
  readonly onTimeout: Event<CallTimedOutEvent> = (l) => this.#track(this.#circuit.onTimeout, l);
  /** Redis stopped answering: the circuit carries on in this process's memory. */
  readonly onDegraded: Event<BreakerDegradedEvent> = (l) =>
    this.#track(this.#circuit.onDegraded, l);
  /** Redis answers again: the circuit is shared again (an open state kept in memory is pushed). */
  readonly onRestored: Event<BreakerRestoredEvent> = (l) =>
    this.#track(this.#circuit.onRestored, l);

  /** Subscribes through this handle, so that its `close()` unsubscribes. */
  #track<T>(event: Event<T>, listener: (value: T) => void): Disposable {
    if (typeof listener !== 'function') throw new TypeError('breaker: listener must be a function');
    if (this.closed) return noopDisposable;
    const inner = event(listener);
    let done = false;
    const dispose = () => {
      if (done) return;
      done = true;
      this.#subscriptions.delete(sub);
      inner.dispose();
    };
    const sub: Disposable = { dispose, [Symbol.dispose]: dispose };
    this.#subscriptions.add(sub);
    return sub;
  }

  /** Opens the circuit for every worker (an operator's switch). */
  open(): Promise<void> {
    return this.#circuit.force('open');
  }
  /** Closes the circuit for every worker (an operator's switch; a state change, not a release). */
  forceClose(): Promise<void> {
    return this.#circuit.force('closed');
  }
  /** Holds the circuit open for every worker until release() (survives restarts). */
  isolate(): Promise<void> {
    return this.#circuit.force('isolate');
  }
  /** Ends an isolation: the circuit closes for every worker (as forceClose()). */
  release(): Promise<void> {
    return this.#circuit.force('closed');
  }
  /**
   * Changes the circuit's thresholds and timeouts at run time, for every worker: validated as by
   * circuitBreaker() (TypeError/RangeError naming the option), stored in Redis (a worker that
   * starts later reads it), published and applied by every worker on the message. Resolves
   * `{ shared: false }` when Redis did not answer (applied in this process only).
   */
  async configure(
    partial: Partial<DynamicSettings>,
  ): Promise<{ shared: boolean; settings: Readonly<DynamicSettings> }> {
    const { settings, changed } = checkConfigure(partial, this.settings);
    const shared = await this.#circuit.configure(changed, settings);
    return { shared, settings: this.settings };
  }
  /** Rate mode: sends this process's batched counts to Redis now. */
  flush(): Promise<void> {
    return this.#circuit.flush();
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

  /**
   * Leaves the circuit (async, idempotent): drops the listeners subscribed through this handle;
   * the last breaker of a circuit releases it, and the last one on a Redis client closes the
   * subscriber connection and gives the client back (a client made from a URL is quit by its last
   * user; a caller's client is never quit). Calls made afterwards run on this process's memory.
   */
  protected async onClose(): Promise<void> {
    for (const sub of [...this.#subscriptions]) sub.dispose();
    if (this.#circuit.refs === 1) await this.#circuit.flush();
    await this.#release();
  }
}

// biome-ignore lint/suspicious/noExplicitAny: a wrapper accepts any async function
type AnyAsyncFn = (this: any, ...args: any[]) => Promise<any>;

/**
 * What `circuitBreaker()` returns: a wrapper for a function, and a TC39 method decorator. The
 * wrapped function carries `.breaker` and, like it, `close()` and `Symbol.asyncDispose`.
 */
export type CircuitBreakerWrapper = <F extends AnyAsyncFn>(
  fn: F,
  context?: ClassMethodDecoratorContext,
) => F & { readonly breaker: Breaker } & Closeable;

const NO_BRACES = /^[^{}]*$/;

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
  // undefined is refused too: `name` is required
  const o = checkOptions(OWNER, options ?? (null as never), KNOWN);
  const name = stringOption(OWNER, 'name', o.name, { minLength: 1, maxLength: 200 });
  const int = (option: string, value: unknown, fallback?: number) =>
    integerOption(OWNER, option, value, {
      min: 1,
      ...(fallback === undefined ? {} : { default: fallback }),
    });
  const { timeoutMs: _dynamicTimeout, ...dynamicOptions } = o as Record<string, unknown>;
  const dynamic = resolveDynamic(OWNER, dynamicOptions);
  const timeoutMs = o.timeoutMs === undefined ? undefined : int('timeoutMs', o.timeoutMs);
  const commandTimeoutMs = int('commandTimeoutMs', o.commandTimeoutMs, 300);
  const probeLeaseMs = int('probeLeaseMs', o.probeLeaseMs, timeoutMs ?? 30_000);
  const keyPrefix = stringOption(OWNER, 'keyPrefix', o.keyPrefix, {
    default: 'resil:',
    pattern: NO_BRACES,
    describe: 'a string without { or } (they would move the hash tag of the keys)',
  });
  const isFailure =
    functionOption<(error: unknown) => boolean>(OWNER, 'isFailure', o.isFailure) ??
    defaultIsFailure;
  const isFailureResult =
    o.isFailureResult === false
      ? undefined
      : (functionOption<(result: unknown) => boolean>(
          OWNER,
          'isFailureResult',
          o.isFailureResult,
        ) ?? defaultIsFailureResult);
  const flushEvery = int('flushEvery', o.flushEvery, 100);
  const flushIntervalMs = int('flushIntervalMs', o.flushIntervalMs, 1000);
  const workerId = stringOption(OWNER, 'workerId', o.workerId, {
    default: PROCESS_WORKER_ID,
    minLength: 1,
    maxLength: 100,
  });
  const fallback = functionOption<(error: unknown, ...args: A) => R | Promise<R>>(
    OWNER,
    'fallback',
    o.fallback,
  );
  // `in`, not `o.redis`: checkOptions drops undefined values, and null must be refused.
  const redis = 'redis' in (options as object) ? options.redis : undefined;
  if (
    redis !== undefined &&
    !(typeof redis === 'string' && redis.length > 0) &&
    // `duplicate`: the change channel needs a connection of its own (core's subscribeChannel)
    !(isRedisClient(redis) && typeof (redis as { duplicate?: unknown }).duplicate === 'function')
  )
    throw new OptionTypeError(
      'RESIL_CORE_OPTION_TYPE',
      'redis',
      `${OWNER}: redis must be an ioredis or node-redis client or cluster, or a URL`,
    );
  if (redis !== undefined && name.includes('}'))
    throw new OptionRangeError(
      'name',
      `${OWNER}: name must not contain } with redis (it would end the hash tag of its key)`,
    );
  const logger = resolveLogger(OWNER, 'resil.breaker', o.logger);
  const telemetry = booleanOption(OWNER, 'telemetry', o.telemetry, true);

  // One circuit per name (and link) in this process. Breakers of one name share it, so they
  // must agree on its settings (issue #16, finding 11: a second one used to get the first one's
  // thresholds silently); per-call options (timeoutMs, isFailure, fallback, logger) may differ.
  let circuit: Circuit;
  const link = redis === undefined ? undefined : linkFor(redis, keyPrefix);
  const pool = link ? (linkCircuits.get(link) as Map<string, Circuit>) : memoryCircuits;
  const fixed = {
    probeLeaseMs,
    commandTimeoutMs,
    telemetry,
    flushEvery,
    flushIntervalMs,
    workerId,
  };
  const settings = { ...dynamic, ...fixed };
  const existing = pool.get(name);
  if (existing) {
    for (const [option, wanted] of Object.entries(settings)) {
      const has =
        option in fixed
          ? existing.settings[option as keyof typeof fixed]
          : existing.base[option as keyof DynamicSettings];
      if (has !== wanted) throw new BreakerConflictError(name, option, has, wanted);
    }
    circuit = existing;
  } else {
    circuit = new Circuit({ name, ...settings }, link);
    pool.set(name, circuit);
  }
  circuit.refs++;
  const logs = logger !== noopLogger;
  if (logs) circuit.addLogger(logger);
  const release = async () => {
    if (logs) circuit.removeLogger(logger);
    circuit.refs--;
    if (circuit.refs > 0) return;
    circuit.clear();
    if (pool.get(name) === circuit) pool.delete(name);
    if (link && redis !== undefined && link.leave(circuit)) {
      dropLink(redis, keyPrefix, link);
      await link.close();
    }
  };
  const breaker = new Breaker(circuit, release);

  return (<F extends AnyAsyncFn>(fn: F, context?: ClassMethodDecoratorContext) => {
    if (typeof fn !== 'function')
      throw new TypeError('circuitBreaker: expected a function to wrap');
    const run = { isFailure, isFailureResult, timeoutMs };
    const wrapped = function (this: unknown, ...args: unknown[]) {
      // A context passed by the caller or an outer policy is taken off and replaced by ours
      // (circuit.run pushes it onto `args`: the healthy path makes no copy of the arguments).
      const context = isCallContext(args[args.length - 1])
        ? (args.pop() as CallContext)
        : undefined;
      const n = args.length;
      const call = circuit.run(fn, this, args, run, context);
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
        return fallback(error, ...(args.slice(0, n) as A));
      });
    };
    Object.defineProperty(wrapped, 'name', {
      value: context ? String(context.name) : fn.name,
      configurable: true,
    });
    Object.defineProperty(wrapped, 'breaker', { value: breaker, enumerable: true });
    return makeCloseable(wrapped, () => breaker.close()) as unknown as F & {
      readonly breaker: Breaker;
    } & Closeable;
  }) as CircuitBreakerWrapper;
}
