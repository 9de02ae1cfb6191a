import {
  type CallContext,
  createTelemetry,
  deriveContext,
  type Event,
  EventEmitter,
  type Logger,
  type Severity,
  statusOf,
  type Telemetry,
} from '@resil/core';
import {
  BreakerTimeoutError,
  CircuitOpenError,
  ERROR_CODES,
  isBreakerTimeoutError,
} from './errors';
import { BUCKETS, type DynamicSettings, parseStored } from './settings';
import type { LinkMember, RedisLink, ScriptSettings, SharedState } from './stores/redis-link';

/** A probe's ticket: its id in this process, and the epoch of its Redis grant (fencing token). */
interface Probe {
  id: number;
  token: number | undefined;
}

export type BreakerState = 'closed' | 'open' | 'halfOpen';

export interface BreakerStats {
  /** Calls made through the breaker (rejected ones included). */
  calls: number;
  successes: number;
  failures: number;
  /** Rejected while open, without calling the function. */
  rejects: number;
  timeouts: number;
  /** Errors that `isFailure` did not count (e.g. HTTP 404). */
  ignored: number;
  fallbacks: number;
  /** Calls the caller aborted (not counted as failures of the dependency). */
  cancelled: number;
  /** Calls slower than slowCallDurationMs (rate mode). */
  slow: number;
  /** Rate mode: batches of counts sent to Redis. */
  flushes: number;
}

export interface StateChangeEvent {
  name: string;
  from: BreakerState;
  to: BreakerState;
}

/** `onSuccess`: a call succeeded. */
export interface CallSucceededEvent {
  readonly name: string;
  /** How long the function took, in ms. */
  readonly durationMs: number;
}

/** `onFailure`: a call failed and the failure counted (never the error itself: it may hold data). */
export interface CallFailedEvent {
  readonly name: string;
  readonly durationMs: number;
  /** The error's `code` (e.g. `ECONNRESET`, `RESIL_BREAKER_TIMEOUT`) when it has a short one. */
  readonly code?: string;
  /** The error's HTTP status (`status`, `statusCode` or `response.status`) when it has one. */
  readonly status?: number;
}

/** `onRejected`: a call was rejected without calling the function. */
export interface CallRejectedEvent {
  readonly name: string;
  readonly code: typeof ERROR_CODES.OPEN;
  /** When a probe may be let through, in ms (0: retry now, another call is asking for it). */
  readonly retryAfterMs: number;
}

/** `onTimeout`: a call exceeded `timeoutMs`. */
export interface CallTimedOutEvent {
  readonly name: string;
  readonly timeoutMs: number;
}

/** `onDegraded`: Redis stopped answering; the circuit carries on in this process's memory. */
export interface BreakerDegradedEvent {
  readonly name: string;
  /** `timeout`: no answer in time; `failed`: a command failed; `unavailable`: not connected. */
  readonly reason: 'timeout' | 'failed' | 'unavailable';
}

/** `onRestored`: Redis answers again; the circuit is shared again. */
export interface BreakerRestoredEvent {
  readonly name: string;
  /** How long Redis was away, in ms. */
  readonly downMs: number;
}

/** `onConfigured`: new settings applied (by configure() here or in another worker). */
export interface ConfiguredEvent {
  readonly name: string;
  /** The options that differ from the previous settings. */
  readonly changed: readonly string[];
}

/** Settings fixed for the circuit's life (a second breaker of the name must agree). */
export interface FixedSettings {
  name: string;
  probeLeaseMs: number;
  commandTimeoutMs: number;
  /** Reports to OpenTelemetry. */
  telemetry: boolean;
  /** Rate mode: a batch of counts is sent to Redis once it holds this many calls. */
  flushEvery: number;
  /** Rate mode: counts are sent at the latest this long after the first of the batch. */
  flushIntervalMs: number;
  /** This worker's id in the quorum set. */
  workerId: string;
}

export type CircuitSettings = FixedSettings & DynamicSettings;

// A success's telemetry records, shared: the healthy path allocates none.
const SUCCEEDED_ATTEMPT = Object.freeze({ attempt: 1, handled: false });
const SUCCEEDED_EXECUTION = Object.freeze({});

/** The context passed when the caller passed none and no timeout applies (never aborts). */
const IDLE_CONTEXT = deriveContext(undefined, {});

/** A rolling window of counts in BUCKETS buckets (this process's own calls). */
class Window {
  readonly #ids = new Array<number>(BUCKETS).fill(-1);
  readonly #calls = new Array<number>(BUCKETS).fill(0);
  readonly #fails = new Array<number>(BUCKETS).fill(0);
  readonly #slows = new Array<number>(BUCKETS).fill(0);
  add(windowMs: number, fail: boolean, slow: boolean, now = Date.now()): void {
    const id = Math.floor(now / (windowMs / BUCKETS));
    const i = id % BUCKETS;
    if (this.#ids[i] !== id) {
      this.#ids[i] = id;
      this.#calls[i] = 0;
      this.#fails[i] = 0;
      this.#slows[i] = 0;
    }
    this.#calls[i] = (this.#calls[i] as number) + 1;
    if (fail) this.#fails[i] = (this.#fails[i] as number) + 1;
    if (slow) this.#slows[i] = (this.#slows[i] as number) + 1;
  }
  totals(windowMs: number, now = Date.now()): { calls: number; fails: number; slows: number } {
    const id = Math.floor(now / (windowMs / BUCKETS));
    let calls = 0;
    let fails = 0;
    let slows = 0;
    for (let i = 0; i < BUCKETS; i++) {
      const b = this.#ids[i] as number;
      if (b <= id - BUCKETS || b > id) continue;
      calls += this.#calls[i] as number;
      fails += this.#fails[i] as number;
      slows += this.#slows[i] as number;
    }
    return { calls, fails, slows };
  }
  reset(): void {
    this.#ids.fill(-1);
  }
}

/** Whether counts reach the thresholds of rate mode. */
export function rateTripped(
  s: DynamicSettings,
  t: { calls: number; fails: number; slows: number },
): boolean {
  return (
    t.calls >= s.minimumCalls &&
    (t.fails >= s.failureRateThreshold * t.calls ||
      (s.slowCallDurationMs > 0 && t.slows >= s.slowCallRateThreshold * t.calls))
  );
}

/**
 * The `event.name` of each event in `resilience.strategy.events` (OpenTelemetry), with its
 * `event.severity`.
 */
export const TELEMETRY_EVENTS = Object.freeze({
  'circuit-opened': 'error',
  'circuit-half-opened': 'warning',
  'circuit-closed': 'information',
  'call-succeeded': 'information',
  'call-failed': 'warning',
  'call-rejected': 'warning',
  'call-timed-out': 'warning',
  'store-degraded': 'warning',
  'store-restored': 'information',
} as const satisfies Record<string, Severity>);
type TelemetryEvent = keyof typeof TELEMETRY_EVENTS;
/** One frozen `EventInit` per event, made once (the healthy path allocates none for it). */
const EVENT_INITS = Object.fromEntries(
  Object.entries(TELEMETRY_EVENTS).map(([name, severity]) => [name, Object.freeze({ severity })]),
) as Record<TelemetryEvent, { readonly severity: Severity }>;

const STATE_EVENTS: Record<BreakerState, TelemetryEvent> = {
  open: 'circuit-opened',
  halfOpen: 'circuit-half-opened',
  closed: 'circuit-closed',
};

const TOKEN = /^[A-Za-z0-9_.:-]{1,64}$/;

/** An error's `code` when it is a short token (never free text that could carry data). */
export function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && TOKEN.test(code) ? code : undefined;
}

/** `error.type` for telemetry: the code, else the HTTP status, else the error's class name. */
function errorTypeOf(error: unknown): string {
  const code = codeOf(error);
  if (code !== undefined) return code;
  const status = statusOf(error);
  if (status !== undefined) return String(status);
  const name = error instanceof Error ? error.name : undefined;
  return name !== undefined && TOKEN.test(name) ? name : '_OTHER';
}

/** Options of one call through the circuit (they may differ between breakers of one name). */
export interface RunOptions {
  isFailure: (e: unknown) => boolean;
  isFailureResult: ((result: unknown) => boolean) | undefined;
  timeoutMs: number | undefined;
}

/**
 * One circuit: every breaker with the same name (and Redis link) in this process shares it. In
 * the closed state a success touches nothing but this object (and its telemetry); failures, probes
 * and forced changes go through the link's Lua scripts, and changes made by other workers arrive
 * by pub/sub. In rate mode, counts are batched here and sent to Redis in one script call.
 */
export class Circuit implements LinkMember {
  readonly name: string;
  /** The current settings (configure() changes the dynamic ones in place). */
  readonly settings: CircuitSettings;
  /** The dynamic settings the circuit was made with (a second breaker of the name is checked against them). */
  readonly base: DynamicSettings;
  readonly link: RedisLink | undefined;
  state: BreakerState = 'closed';
  /** Consecutive failures as last known (rate mode: failures in the window as last known). */
  failures = 0;
  /** Local ms when a probe may start (open) or the running probe's lease ends (halfOpen). */
  until = 0;
  readonly stats: BreakerStats = {
    calls: 0,
    successes: 0,
    failures: 0,
    rejects: 0,
    timeouts: 0,
    ignored: 0,
    fallbacks: 0,
    cancelled: 0,
    slow: 0,
    flushes: 0,
  };
  refs = 0;
  readonly #stateChanges = new EventEmitter<StateChangeEvent>();
  readonly #successes = new EventEmitter<CallSucceededEvent>();
  readonly #failures = new EventEmitter<CallFailedEvent>();
  readonly #rejections = new EventEmitter<CallRejectedEvent>();
  readonly #timeouts = new EventEmitter<CallTimedOutEvent>();
  readonly #degradations = new EventEmitter<BreakerDegradedEvent>();
  readonly #restorations = new EventEmitter<BreakerRestoredEvent>();
  readonly #configurations = new EventEmitter<ConfiguredEvent>();
  readonly onStateChange: Event<StateChangeEvent> = this.#stateChanges.event;
  readonly onSuccess: Event<CallSucceededEvent> = this.#successes.event;
  readonly onFailure: Event<CallFailedEvent> = this.#failures.event;
  readonly onRejected: Event<CallRejectedEvent> = this.#rejections.event;
  readonly onTimeout: Event<CallTimedOutEvent> = this.#timeouts.event;
  readonly onDegraded: Event<BreakerDegradedEvent> = this.#degradations.event;
  readonly onRestored: Event<BreakerRestoredEvent> = this.#restorations.event;
  readonly onConfigured: Event<ConfiguredEvent> = this.#configurations.event;
  readonly #telemetry: Telemetry;
  /** The trial calls this process runs now (their ids). One whose lease ran out is replaced. */
  readonly #probes = new Set<number>();
  #probeSeq = 0;
  /** A probe is being asked of Redis: no second request from this process meanwhile. */
  #acquiring = false;
  /** Memory: trial calls granted and succeeded in this half-open round; failed probes in a row. */
  #permits = 0;
  #oks = 0;
  #opens = 0;
  /** The epoch at which Redis said the half-open round's permits were all taken. */
  #fullEpoch = -1;
  #epoch = 0;
  /** How many answers were applied: tells whether anything arrived while a command was out. */
  #applied = 0;
  /** Open by this process's own decision, Redis not answering: pushed to Redis when it returns. */
  #openedHere = false;
  #initial: Promise<void> | undefined;
  /** The loggers of the breakers on this circuit (each distinct one logs each line once). */
  readonly #loggers = new Map<Logger, number>();
  /** Rate mode: this process's calls (memory decisions, and while Redis is away). */
  readonly #window = new Window();
  /** Rate mode: counts not yet sent to Redis. */
  #batch = { calls: 0, fails: 0, slows: 0 };
  #flushTimer: NodeJS.Timeout | undefined;
  /** The batch being sent (one at a time). */
  #flushing: Promise<void> | undefined;
  #scriptSettings: ScriptSettings;

  constructor(settings: CircuitSettings, link: RedisLink | undefined) {
    this.name = settings.name;
    this.settings = { ...settings };
    this.base = { ...settings };
    this.link = link;
    this.#scriptSettings = this.#makeScriptSettings();
    this.#telemetry = createTelemetry({
      strategy: 'breaker',
      pipeline: settings.name,
      scope: '@resil/breaker',
      ...(settings.telemetry ? {} : { api: null }),
    });
    if (link) {
      link.join(this);
      // A worker started while the circuit is open fails fast on its first call: the first call
      // waits for this read (bounded by the command timeout).
      const seen = this.#applied;
      this.#initial = link
        .read(this.name, this.#scriptSettings, settings.commandTimeoutMs)
        .then((r) => {
          if (r) this.#apply(r, seen);
          this.#initial = undefined;
        });
    }
  }

  #makeScriptSettings(): ScriptSettings {
    const s = this.settings;
    return [
      s.resetTimeoutMs,
      s.resetTimeoutMaxMs,
      s.resetBackoffFactor,
      s.quorum,
      s.windowMs,
      s.workerId,
      s.halfOpenPermits,
      s.probeLeaseMs,
      s.minimumCalls,
      s.failureRateThreshold,
      s.slowCallRateThreshold,
    ];
  }

  get nextProbeInMs(): number {
    return this.state === 'closed' ? 0 : Math.max(0, Math.round(this.until - Date.now()));
  }

  /** Drops every listener and the flush timer (the last breaker of the circuit left). */
  clear(): void {
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    for (const e of [
      this.#stateChanges,
      this.#successes,
      this.#failures,
      this.#rejections,
      this.#timeouts,
      this.#degradations,
      this.#restorations,
      this.#configurations,
    ])
      e.clear();
  }

  /**
   * Calls `fn` on `self` with `args` and a context as its last argument (`args` is the wrapper's
   * own rest array: the context is pushed onto it, no copy). The closed, healthy path with no
   * timeout and no caller's context passes one shared context that never aborts: no
   * AbortController, no closure, no array is made for it.
   */
  async run<T>(
    fn: (...args: unknown[]) => Promise<T>,
    self: unknown,
    args: unknown[],
    o: RunOptions,
    parent: CallContext | undefined,
  ): Promise<T> {
    // The caller gave up before the call: nothing to call, nothing to count.
    if (parent?.signal.aborted) {
      this.stats.cancelled++;
      throw parent.signal.reason;
    }
    this.stats.calls++;
    const rate = this.settings.mode === 'rate';
    const slowMs = rate ? this.settings.slowCallDurationMs : 0;
    // Timed only when someone listens, durations are recorded (an OpenTelemetry SDK is
    // registered), or slow calls are counted.
    const timed =
      slowMs > 0 ||
      this.#successes.size > 0 ||
      this.#failures.size > 0 ||
      this.#telemetry.recording;
    const entered = timed ? performance.now() : 0;
    let started = entered;
    let probe: Probe | undefined;
    if (this.#initial || this.state !== 'closed') {
      if (this.#initial) await this.#initial;
      if (this.state !== 'closed') {
        try {
          probe = await this.#admit();
        } catch (error) {
          if (timed)
            this.#telemetry.execution(performance.now() - entered, { errorType: ERROR_CODES.OPEN });
          throw error;
        }
      }
      if (timed) started = performance.now();
    }
    const timeoutMs = this.settings.timeoutMs || o.timeoutMs;
    let value: T;
    let failedResult = false;
    try {
      if (timeoutMs === undefined) {
        const ctx = parent ?? IDLE_CONTEXT;
        // no array for the common arities (none, one argument)
        if (args.length === 0) value = await fn.call(self, ctx);
        else if (args.length === 1) value = await fn.call(self, args[0], ctx);
        else {
          args.push(ctx);
          value = await fn.apply(self, args);
        }
      } else value = await this.#withTimeout(fn, self, args, timeoutMs, parent);
      failedResult =
        o.isFailureResult !== undefined && isFailureResultSafe(o.isFailureResult, value);
    } catch (error) {
      // The caller aborted (not our timeout): says nothing about the dependency.
      if (parent?.signal.aborted && !isBreakerTimeoutError(error)) {
        this.stats.cancelled++;
        if (probe !== undefined) await this.#cancelProbe(probe);
        throw error;
      }
      const counted = isFailureSafe(o.isFailure, error);
      const ended = timed ? performance.now() : 0;
      if (counted) this.#failed(ended - started, codeOf(error), statusOf(error));
      else this.stats.ignored++;
      if (timed) {
        const errorType = errorTypeOf(error);
        this.#telemetry.attempt(ended - started, { attempt: 1, handled: counted, errorType });
        this.#telemetry.execution(ended - entered, { errorType });
      }
      // Recorded before the caller sees the error, so this worker knows of an open circuit
      // before its next call.
      await this.#record(
        counted ? 'failure' : 'success',
        probe,
        slowMs > 0 && ended - started >= slowMs,
      );
      throw error;
    }
    const ended = timed ? performance.now() : 0;
    const slow = slowMs > 0 && ended - started >= slowMs;
    if (failedResult) {
      const status = statusOf(value);
      this.#failed(ended - started, undefined, status);
      if (timed) {
        const errorType = status === undefined ? '_OTHER' : String(status);
        this.#telemetry.attempt(ended - started, { attempt: 1, handled: true, errorType });
        this.#telemetry.execution(ended - entered, { errorType });
      }
      await this.#record('failure', probe, slow);
      return value;
    }
    this.stats.successes++;
    // a span event with a tracing SDK, a count with a metrics SDK (a no-op without telemetry)
    this.#event('call-succeeded');
    if (timed) {
      if (this.#successes.size > 0)
        this.#successes.emit({ name: this.name, durationMs: ended - started });
      this.#telemetry.attempt(ended - started, SUCCEEDED_ATTEMPT);
      this.#telemetry.execution(ended - entered, SUCCEEDED_EXECUTION);
    }
    if (rate) {
      if (probe !== undefined) await this.#record('success', probe, slow);
      else if (this.state === 'closed') {
        // The healthy path of rate mode: a count in memory; Redis only with a full batch.
        if (slow) this.stats.slow++;
        const pending = this.#recordRate(false, slow);
        if (pending) await pending;
      }
    }
    // The healthy path (closed, no failures counted) records nothing and sends nothing.
    else if (probe !== undefined || this.failures !== 0)
      await this.#record('success', probe, false);
    return value;
  }

  #failed(durationMs: number, code: string | undefined, status: number | undefined): void {
    this.stats.failures++;
    this.#event('call-failed');
    if (this.#failures.size > 0)
      this.#failures.emit({
        name: this.name,
        durationMs,
        ...(code === undefined ? {} : { code }),
        ...(status === undefined ? {} : { status }),
      });
  }

  /**
   * Runs `fn` with a signal of its own (linked to the caller's), aborted when `timeoutMs` passes:
   * the call then rejects with BreakerTimeoutError, and a `fetch` given the signal stops.
   */
  async #withTimeout<T>(
    fn: (...args: unknown[]) => Promise<T>,
    self: unknown,
    args: unknown[],
    timeoutMs: number,
    parent: CallContext | undefined,
  ): Promise<T> {
    const controller = new AbortController();
    const outer = parent?.signal;
    const onAbort = () => controller.abort(outer?.reason);
    outer?.addEventListener('abort', onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    args.push(deriveContext(parent, { signal: controller.signal }));
    try {
      return await Promise.race([
        fn.apply(self, args),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            this.stats.timeouts++;
            this.#event('call-timed-out');
            this.#timeouts.emit({ name: this.name, timeoutMs });
            const error = new BreakerTimeoutError(this.name, timeoutMs);
            controller.abort(error);
            reject(error);
          }, timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    }
  }

  #reject(retryAfterMs: number): never {
    this.stats.rejects++;
    const error = new CircuitOpenError(this.name, retryAfterMs);
    this.#event('call-rejected');
    this.#rejections.emit({
      name: this.name,
      code: ERROR_CODES.OPEN,
      retryAfterMs: error.retryAfterMs,
    });
    throw error;
  }

  /** Decides whether this call may go; the probe's ticket when it is a trial call. */
  async #admit(): Promise<Probe | undefined> {
    if (this.state === 'closed') return undefined;
    const now = Date.now();
    const { link } = this;
    const shared = link !== undefined && (link.usable() || !link.degraded);
    const permits = this.settings.halfOpenPermits;
    // Half-open with permits that may be left (in Redis, or in memory): not rejected on the lease.
    const mayTrial =
      this.state === 'halfOpen' &&
      permits > 1 &&
      (shared ? this.#fullEpoch !== this.#epoch : this.#permits < permits);
    // Open before the reset timeout, or half-open while a probe's lease runs (this process's or
    // another's): rejected. A probe whose lease ran out no longer holds the circuit (issue #16,
    // finding 10).
    if (now < this.until && !mayTrial) this.#reject(this.until - now);
    if (this.#acquiring) this.#reject(0);
    // Asked of Redis unless it is known to be away (then not even a promise job is spent on it);
    // a Redis found away now is reported degraded by the attempt.
    if (link && shared) {
      this.#acquiring = true;
      const seen = this.#applied;
      let r: SharedState | undefined;
      try {
        r = await link.acquireProbe(this.name, this.#scriptSettings, this.#timeoutMs);
      } finally {
        this.#acquiring = false;
      }
      if (r) {
        this.#apply(r, seen);
        if (r.state === 'probe') return this.#startProbe(r.epoch);
        if (r.state === 'closed') return undefined;
        if (r.state === 'halfOpen') this.#fullEpoch = r.epoch;
        this.#reject(Math.max(0, this.until - Date.now()));
      }
    }
    // Memory: after the reset timeout (or a round's lease), the first `halfOpenPermits` callers.
    if (this.state === 'halfOpen' && now < this.until) {
      if (this.#permits >= permits) this.#reject(this.until - now);
      this.#permits++;
      return this.#startProbe(undefined);
    }
    this.#probes.clear(); // a new round: the trial calls of the last one decide nothing
    this.#set('halfOpen', this.failures, Date.now() + this.settings.probeLeaseMs);
    this.#permits = 1;
    this.#oks = 0;
    return this.#startProbe(undefined);
  }

  #startProbe(token: number | undefined): Probe {
    const id = ++this.#probeSeq;
    this.#probes.add(id);
    return { id, token };
  }

  get #timeoutMs(): number {
    return this.settings.commandTimeoutMs;
  }

  /** The open duration after `k` failed probes in a row. */
  #openMs(k: number): number {
    const s = this.settings;
    return Math.floor(Math.min(s.resetTimeoutMaxMs, s.resetTimeoutMs * s.resetBackoffFactor ** k));
  }

  /** A trial call the caller aborted: its permit goes back (it said nothing of the dependency). */
  async #cancelProbe(probe: Probe): Promise<void> {
    if (!this.#probes.delete(probe.id)) return;
    if (this.link && probe.token !== undefined) {
      const seen = this.#applied;
      const r = await this.link.probeResult(
        this.name,
        'cancel',
        probe.token,
        this.#scriptSettings,
        this.#timeoutMs,
      );
      if (r) this.#apply(r, seen);
      return;
    }
    if (this.#permits > 0) this.#permits--;
  }

  async #record(
    outcome: 'success' | 'failure',
    probe: Probe | undefined,
    slow: boolean,
  ): Promise<void> {
    if (slow) this.stats.slow++;
    if (probe !== undefined) {
      // A probe that is no longer this process's probe (its lease ran out and another took
      // over, or the state changed meanwhile) decides nothing: fenced here and in Redis.
      if (!this.#probes.delete(probe.id)) return;
      const seen = this.#applied;
      const r = this.link
        ? await this.link.probeResult(
            this.name,
            outcome,
            probe.token,
            this.#scriptSettings,
            this.#timeoutMs,
          )
        : undefined;
      if (r) return this.#apply(r, seen);
      if (outcome === 'success') {
        this.#oks++;
        if (this.#oks >= this.settings.halfOpenPermits) this.#closeHere();
      } else {
        this.#opens++;
        this.#openHere(this.failures + 1, Date.now() + this.#openMs(this.#opens));
      }
      return;
    }
    if (this.settings.mode === 'rate') return this.#recordRate(outcome === 'failure', slow);
    if (outcome === 'success') {
      // The healthy path: nothing to do unless failures were counted.
      if (this.failures === 0) return;
      this.failures = 0;
      if (this.link) void this.link.success(this.name, this.#scriptSettings, this.#timeoutMs);
      return;
    }
    if (this.state !== 'closed') return; // the call started before the circuit opened
    const seen = this.#applied;
    const threshold = this.settings.failureThreshold;
    const r = this.link
      ? await this.link.failure(this.name, threshold, this.#scriptSettings, this.#timeoutMs)
      : undefined;
    if (r) return this.#apply(r, seen);
    const failures = this.failures + 1;
    if (failures >= threshold) this.#openHere(failures, Date.now() + this.#openMs(0));
    else this.failures = failures;
  }

  /**
   * Rate mode, closed: the call joins this process's window and the batch for Redis. A failure or
   * a slow call sends the batch at once (awaited, so that this worker knows of an open circuit
   * before its next call); successes are sent when the batch holds `flushEvery` calls or
   * `flushIntervalMs` after its first call.
   */
  #recordRate(fail: boolean, slow: boolean): Promise<void> | undefined {
    if (this.state !== 'closed') return;
    const s = this.settings;
    this.#window.add(s.windowMs, fail, slow);
    if (!this.link) {
      this.#decideHere();
      return;
    }
    const b = this.#batch;
    b.calls++;
    if (fail) b.fails++;
    if (slow) b.slows++;
    if (fail || slow) return this.flush();
    if (b.calls >= s.flushEvery) {
      if (this.#flushing === undefined) void this.flush();
      return;
    }
    if (this.#flushTimer === undefined) {
      this.#flushTimer = setTimeout(() => {
        this.#flushTimer = undefined;
        void this.flush();
      }, s.flushIntervalMs);
      this.#flushTimer.unref?.();
    }
  }

  /**
   * Sends the batched counts (rate mode); decides in memory when Redis does not answer. One batch
   * in flight per circuit: counts made meanwhile wait for the next one (a burst of calls never
   * piles up commands).
   */
  async flush(): Promise<void> {
    if (this.#flushTimer) {
      clearTimeout(this.#flushTimer);
      this.#flushTimer = undefined;
    }
    while (this.#flushing) await this.#flushing;
    const b = this.#batch;
    if (b.calls === 0 || !this.link) return;
    this.#batch = { calls: 0, fails: 0, slows: 0 };
    const sending = this.#send(b, this.link);
    this.#flushing = sending;
    try {
      await sending;
    } finally {
      this.#flushing = undefined;
    }
  }

  async #send(b: { calls: number; fails: number; slows: number }, link: RedisLink): Promise<void> {
    this.stats.flushes++;
    const seen = this.#applied;
    const r = await link.rate(
      this.name,
      b.calls,
      b.fails,
      b.slows,
      this.#scriptSettings,
      this.#timeoutMs,
    );
    if (r) this.#apply(r, seen);
    else this.#decideHere();
  }

  /** Rate mode in memory (or while Redis is away): this process's window decides. */
  #decideHere(): void {
    if (this.state !== 'closed') return;
    const t = this.#window.totals(this.settings.windowMs);
    this.failures = t.fails;
    if (rateTripped(this.settings, t)) this.#openHere(t.fails, Date.now() + this.#openMs(0));
  }

  async force(target: 'open' | 'closed' | 'isolate'): Promise<void> {
    const seen = this.#applied;
    const r = this.link
      ? await this.link.force(this.name, target, 0, this.#scriptSettings, this.#timeoutMs)
      : undefined;
    if (r) return this.#apply(r, seen);
    if (target === 'closed') {
      this.isolated = false;
      return this.#closeHere();
    }
    if (this.isolated) return;
    if (target === 'isolate') {
      this.isolated = true;
      this.#openHere(this.failures, Date.now() + ISOLATED_MS);
    } else this.#openHere(this.failures, Date.now() + this.#openMs(0));
  }

  /** Memory (or Redis away): isolate() holds the circuit here until release(). */
  isolated = false;

  /**
   * New settings for every worker: stored in Redis and published (each worker applies them on
   * the message, and a worker that starts later reads them). Resolves `shared: false` when Redis
   * did not answer (applied in this process only).
   */
  async configure(changed: Partial<DynamicSettings>, settings: DynamicSettings): Promise<boolean> {
    if (this.link) {
      const json = await this.link.configure(this.name, JSON.stringify(changed), this.#timeoutMs);
      if (json !== undefined) {
        this.onConfig(json);
        return true;
      }
    }
    this.#configure(settings);
    return false;
  }

  onConfig(json: string): void {
    const settings = parseStored(json, this.base);
    if (settings) this.#configure(settings);
  }

  #configure(next: DynamicSettings): void {
    const changed: string[] = [];
    for (const [k, v] of Object.entries(next))
      if ((this.settings as unknown as Record<string, unknown>)[k] !== v) changed.push(k);
    if (changed.length === 0) return;
    const modeChanged = next.mode !== this.settings.mode;
    Object.assign(this.settings, next);
    this.#scriptSettings = this.#makeScriptSettings();
    if (modeChanged) {
      this.#window.reset();
      this.#batch = { calls: 0, fails: 0, slows: 0 };
      if (this.state === 'closed') this.failures = 0;
    }
    this.#log('info', `circuit breaker ${this.name} configured`, {
      event: 'circuit-configured',
      name: this.name,
      breaker: this.name,
      changed,
    });
    this.#configurations.emit({ name: this.name, changed });
  }

  /** Resolves when the first read is done and the change channel is subscribed. */
  async ready(): Promise<void> {
    if (this.#initial) await this.#initial;
    if (this.link) await this.link.subscribed;
  }

  async refresh(): Promise<void> {
    if (this.#initial) await this.#initial;
    const seen = this.#applied;
    const r = this.link
      ? await this.link.read(this.name, this.#scriptSettings, this.#timeoutMs)
      : undefined;
    if (r) this.#apply(r, seen);
  }

  addLogger(logger: Logger): void {
    this.#loggers.set(logger, (this.#loggers.get(logger) ?? 0) + 1);
  }
  removeLogger(logger: Logger): void {
    const n = (this.#loggers.get(logger) ?? 0) - 1;
    if (n > 0) this.#loggers.set(logger, n);
    else this.#loggers.delete(logger);
  }
  #log(level: 'warn' | 'info', message: string, meta: Record<string, unknown>): void {
    for (const logger of this.#loggers.keys()) {
      try {
        logger[level](message, meta);
      } catch {
        // a throwing logger never changes the outcome of the call
      }
    }
  }

  /** Counts the event in `resilience.strategy.events` and adds it to the active span. */
  #event(name: TelemetryEvent): void {
    if (this.#telemetry.enabled) this.#telemetry.event(name, EVENT_INITS[name]);
  }

  // LinkMember
  onShared(s: SharedState): void {
    this.#apply(s);
  }
  linkDegraded(reason: BreakerDegradedEvent['reason']): void {
    this.#log(
      'warn',
      'circuit breaker: Redis unavailable, circuit state kept in this process until it returns',
      { event: 'store-degraded', name: this.name, breaker: this.name, reason },
    );
    this.#event('store-degraded');
    this.#degradations.emit({ name: this.name, reason });
  }
  linkRestored(downMs: number): void {
    this.#log('info', 'circuit breaker: Redis available again, circuit state shared again', {
      event: 'store-restored',
      name: this.name,
      breaker: this.name,
      downMs,
    });
    this.#event('store-restored');
    this.#restorations.emit({ name: this.name, downMs });
    this.#epoch = 0;
    void this.resync();
  }
  onReconnected(): Promise<void> {
    this.#epoch = 0;
    return this.resync();
  }
  /** Reads the shared state again; an open state decided while Redis was away is pushed to it. */
  async resync(): Promise<void> {
    const { link } = this;
    if (!link) return;
    const seen = this.#applied;
    // Never throw away an open state decided while Redis was away; an open state learnt from
    // Redis is only read again (pushing it back would undo a close this process missed).
    const r =
      this.state === 'open' && this.#openedHere
        ? await link.force(
            this.name,
            this.isolated ? 'isolate' : 'sync',
            this.until - Date.now(),
            this.#scriptSettings,
            this.#timeoutMs,
          )
        : await link.read(this.name, this.#scriptSettings, this.#timeoutMs);
    if (r) this.#apply(r, seen);
  }

  /**
   * Applies a shared state, unless it is older than one already applied. Answers and messages
   * travel on different connections, so they can cross; the epoch orders them. An answer to this
   * process's own command (`seen`: the count of applied answers when it was sent) is newer than
   * everything applied before it was sent, whatever its epoch: when nothing arrived meanwhile it is
   * applied even with a lower epoch (the key was lost and Redis's clock went back).
   */
  #apply(r: SharedState, seen?: number): void {
    if (r.config !== undefined) this.onConfig(r.config);
    if (r.epoch < this.#epoch && seen !== this.#applied) return;
    this.#applied++;
    this.#epoch = r.epoch;
    this.#openedHere = false;
    this.isolated = false;
    const skew = r.now - Date.now();
    const state: BreakerState = r.state === 'probe' ? 'halfOpen' : r.state;
    // A pub/sub message carries no failure count (-1): keep ours unless the circuit closed.
    const failures = r.failures >= 0 ? r.failures : state === 'closed' ? 0 : this.failures;
    this.#set(state, failures, state === 'closed' ? 0 : r.until - skew);
  }

  /** Opens on this process's own decision (memory, or Redis did not answer). */
  #openHere(failures: number, until: number): void {
    this.#set('open', failures, until);
    if (this.link) this.#openedHere = true;
  }

  #closeHere(): void {
    this.#opens = 0;
    this.#set('closed', 0, 0);
  }

  #set(state: BreakerState, failures: number, until: number): void {
    this.failures = failures;
    this.until = until;
    if (state === this.state) return;
    const from = this.state;
    this.state = state;
    if (state !== 'halfOpen') {
      this.#probes.clear(); // a running probe no longer decides
      this.#permits = 0;
      this.#oks = 0;
    }
    if (state !== 'open') this.#openedHere = false;
    if (state === 'closed') this.#opens = 0;
    // A new closed period starts with an empty window (counts from before it say nothing now).
    this.#window.reset();
    this.#batch = { calls: 0, fails: 0, slows: 0 };
    const event = STATE_EVENTS[state];
    this.#log(
      state === 'open' ? 'warn' : 'info',
      `circuit breaker ${this.name} state changed to ${state}`,
      { event, name: this.name, breaker: this.name, from, to: state },
    );
    this.#event(event);
    this.#stateChanges.emit({ name: this.name, from, to: state });
  }
}

/** How long isolate() opens the circuit for (in effect: until release()). */
const ISOLATED_MS = 3_153_600_000_000;

/** `isFailure`, where a throwing classifier means "a failure" (it never changes the outcome). */
export function isFailureSafe(isFailure: (e: unknown) => boolean, error: unknown): boolean {
  try {
    return isFailure(error) !== false;
  } catch {
    return true;
  }
}

/** `isFailureResult`, where a throwing classifier means "not a failure" (the result is returned). */
export function isFailureResultSafe(
  isFailureResult: (result: unknown) => boolean,
  result: unknown,
): boolean {
  try {
    return isFailureResult(result) === true;
  } catch {
    return false;
  }
}

/**
 * The default `isFailureResult`: a Response-like result (a numeric `status` and a `headers`
 * object, as fetch's `Response`) with status 5xx, 408 or 429 counts as a failure (the same
 * statuses that count when thrown, see `defaultIsFailure`). The result is still returned.
 */
export function defaultIsFailureResult(result: unknown): boolean {
  if (typeof result !== 'object' || result === null) return false;
  const r = result as { status?: unknown; headers?: unknown };
  const s = r.status;
  return (
    typeof s === 'number' &&
    (s >= 500 || s === 408 || s === 429) &&
    s < 600 &&
    typeof r.headers === 'object' &&
    r.headers !== null
  );
}
