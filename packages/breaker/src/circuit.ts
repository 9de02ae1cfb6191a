import {
  createTelemetry,
  type Event,
  EventEmitter,
  type Logger,
  type Severity,
  statusOf,
  type Telemetry,
} from '@resil/core';
import { BreakerTimeoutError, CircuitOpenError, ERROR_CODES } from './errors';
import type { LinkMember, RedisLink, SharedState } from './stores/redis-link';

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

export interface CircuitSettings {
  name: string;
  failureThreshold: number;
  resetTimeoutMs: number;
  probeLeaseMs: number;
  commandTimeoutMs: number;
  /** Reports to OpenTelemetry. */
  telemetry: boolean;
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

/**
 * One circuit: every breaker with the same name (and Redis link) in this process shares it. In
 * the closed state a success touches nothing but this object (and its telemetry); failures, probes
 * and forced changes go through the link's Lua scripts, and changes made by other workers arrive
 * by pub/sub.
 */
export class Circuit implements LinkMember {
  readonly name: string;
  readonly settings: CircuitSettings;
  readonly link: RedisLink | undefined;
  state: BreakerState = 'closed';
  /** Consecutive failures as last known (shared count with Redis, local count without). */
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
  };
  refs = 0;
  readonly #stateChanges = new EventEmitter<StateChangeEvent>();
  readonly #successes = new EventEmitter<CallSucceededEvent>();
  readonly #failures = new EventEmitter<CallFailedEvent>();
  readonly #rejections = new EventEmitter<CallRejectedEvent>();
  readonly #timeouts = new EventEmitter<CallTimedOutEvent>();
  readonly #degradations = new EventEmitter<BreakerDegradedEvent>();
  readonly #restorations = new EventEmitter<BreakerRestoredEvent>();
  readonly onStateChange: Event<StateChangeEvent> = this.#stateChanges.event;
  readonly onSuccess: Event<CallSucceededEvent> = this.#successes.event;
  readonly onFailure: Event<CallFailedEvent> = this.#failures.event;
  readonly onRejected: Event<CallRejectedEvent> = this.#rejections.event;
  readonly onTimeout: Event<CallTimedOutEvent> = this.#timeouts.event;
  readonly onDegraded: Event<BreakerDegradedEvent> = this.#degradations.event;
  readonly onRestored: Event<BreakerRestoredEvent> = this.#restorations.event;
  readonly #telemetry: Telemetry;
  /** The probe this process runs now (its id; 0: none). A probe whose lease ran out is replaced. */
  #probe = 0;
  #probeSeq = 0;
  /** A probe is being asked of Redis: no second request from this process meanwhile. */
  #acquiring = false;
  #epoch = 0;
  /** How many answers were applied: tells whether anything arrived while a command was out. */
  #applied = 0;
  /** Open by this process's own decision, Redis not answering: pushed to Redis when it returns. */
  #openedHere = false;
  #initial: Promise<void> | undefined;
  /** The loggers of the breakers on this circuit (each distinct one logs each line once). */
  readonly #loggers = new Map<Logger, number>();

  constructor(settings: CircuitSettings, link: RedisLink | undefined) {
    this.name = settings.name;
    this.settings = settings;
    this.link = link;
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
      this.#initial = link.read(this.name, settings.commandTimeoutMs).then((r) => {
        if (r) this.#apply(r, seen);
        this.#initial = undefined;
      });
    }
  }

  get nextProbeInMs(): number {
    return this.state === 'closed' ? 0 : Math.max(0, Math.round(this.until - Date.now()));
  }

  /** Drops every listener (the last breaker of the circuit left). */
  clear(): void {
    for (const e of [
      this.#stateChanges,
      this.#successes,
      this.#failures,
      this.#rejections,
      this.#timeouts,
      this.#degradations,
      this.#restorations,
    ])
      e.clear();
  }

  async run<T>(
    fn: () => Promise<T>,
    isFailure: (e: unknown) => boolean,
    timeoutMs: number | undefined,
  ): Promise<T> {
    this.stats.calls++;
    // Timed only when someone listens or telemetry is at hand.
    const timed = this.#telemetry.enabled || this.#successes.size > 0 || this.#failures.size > 0;
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
    let value: T;
    try {
      value = timeoutMs === undefined ? await fn() : await this.#withTimeout(fn, timeoutMs);
    } catch (error) {
      const counted = isFailureSafe(isFailure, error);
      if (counted) {
        this.stats.failures++;
        const code = codeOf(error);
        const status = statusOf(error);
        const durationMs = timed ? performance.now() - started : 0;
        this.#event('call-failed');
        if (this.#failures.size > 0)
          this.#failures.emit({
            name: this.name,
            durationMs,
            ...(code === undefined ? {} : { code }),
            ...(status === undefined ? {} : { status }),
          });
      } else this.stats.ignored++;
      if (timed) {
        const ended = performance.now();
        const errorType = errorTypeOf(error);
        this.#telemetry.attempt(ended - started, { attempt: 1, handled: counted, errorType });
        this.#telemetry.execution(ended - entered, { errorType });
      }
      // Recorded before the caller sees the error, so this worker knows of an open circuit
      // before its next call.
      await this.#record(counted ? 'failure' : 'success', probe);
      throw error;
    }
    this.stats.successes++;
    if (timed) {
      const ended = performance.now();
      this.#event('call-succeeded');
      if (this.#successes.size > 0)
        this.#successes.emit({ name: this.name, durationMs: ended - started });
      this.#telemetry.attempt(ended - started, { attempt: 1, handled: false });
      this.#telemetry.execution(ended - entered);
    }
    // The healthy path (closed, no failures counted) records nothing and sends nothing.
    if (probe !== undefined || this.failures !== 0) await this.#record('success', probe);
    return value;
  }

  async #withTimeout<T>(fn: () => Promise<T>, timeoutMs: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        fn(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            this.stats.timeouts++;
            this.#event('call-timed-out');
            this.#timeouts.emit({ name: this.name, timeoutMs });
            reject(new BreakerTimeoutError(this.name, timeoutMs));
          }, timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
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

  /** Decides whether this call may go; the probe's ticket when it is the probe. */
  async #admit(): Promise<Probe | undefined> {
    if (this.state === 'closed') return undefined;
    const now = Date.now();
    // Open before the reset timeout, or half-open while a probe's lease runs (this process's or
    // another's): rejected. A probe whose lease ran out no longer holds the circuit (issue #16,
    // finding 10: a probe that never settled used to reject every call of its process for ever).
    if (now < this.until) this.#reject(this.until - now);
    if (this.#acquiring) this.#reject(0);
    const { link } = this;
    // Asked of Redis unless it is known to be away (then not even a promise job is spent on it);
    // a Redis found away now is reported degraded by the attempt.
    if (link && (link.usable() || !link.degraded)) {
      this.#acquiring = true;
      const seen = this.#applied;
      let r: SharedState | undefined;
      try {
        r = await link.acquireProbe(this.name, this.settings.probeLeaseMs, this.#timeoutMs);
      } finally {
        this.#acquiring = false;
      }
      if (r) {
        this.#apply(r, seen);
        if (r.state === 'probe') return this.#startProbe(r.epoch);
        if (r.state === 'closed') return undefined;
        this.#reject(Math.max(0, this.until - Date.now()));
      }
    }
    // Memory: the first caller after the reset timeout (or after a probe's lease) is the probe.
    this.#set('halfOpen', this.failures, Date.now() + this.settings.probeLeaseMs);
    return this.#startProbe(undefined);
  }

  #startProbe(token: number | undefined): Probe {
    this.#probe = ++this.#probeSeq;
    return { id: this.#probe, token };
  }

  get #timeoutMs(): number {
    return this.settings.commandTimeoutMs;
  }

  async #record(outcome: 'success' | 'failure', probe: Probe | undefined): Promise<void> {
    const { failureThreshold: threshold, resetTimeoutMs } = this.settings;
    if (probe !== undefined) {
      // A probe that is no longer this process's probe (its lease ran out and another took
      // over, or the state changed meanwhile) decides nothing: fenced here and in Redis.
      if (probe.id !== this.#probe) return;
      this.#probe = 0;
      const seen = this.#applied;
      const r = this.link
        ? await this.link.probeResult(
            this.name,
            outcome,
            resetTimeoutMs,
            probe.token,
            this.#timeoutMs,
          )
        : undefined;
      if (r) return this.#apply(r, seen);
      if (outcome === 'success') this.#set('closed', 0, 0);
      else this.#openHere(this.failures + 1, Date.now() + resetTimeoutMs);
      return;
    }
    if (outcome === 'success') {
      // The healthy path: nothing to do unless failures were counted.
      if (this.failures === 0) return;
      this.failures = 0;
      if (this.link) void this.link.success(this.name, this.#timeoutMs);
      return;
    }
    if (this.state !== 'closed') return; // the call started before the circuit opened
    const seen = this.#applied;
    const r = this.link
      ? await this.link.failure(this.name, threshold, resetTimeoutMs, this.#timeoutMs)
      : undefined;
    if (r) return this.#apply(r, seen);
    const failures = this.failures + 1;
    if (failures >= threshold) this.#openHere(failures, Date.now() + resetTimeoutMs);
    else this.failures = failures;
  }

  async force(target: 'open' | 'closed'): Promise<void> {
    const seen = this.#applied;
    const r = this.link
      ? await this.link.force(this.name, target, this.settings.resetTimeoutMs, 0, this.#timeoutMs)
      : undefined;
    if (r) return this.#apply(r, seen);
    if (target === 'open') this.#openHere(this.failures, Date.now() + this.settings.resetTimeoutMs);
    else this.#set('closed', 0, 0);
  }

  /** Resolves when the first read is done and the change channel is subscribed. */
  async ready(): Promise<void> {
    if (this.#initial) await this.#initial;
    if (this.link) await this.link.subscribed;
  }

  async refresh(): Promise<void> {
    if (this.#initial) await this.#initial;
    const seen = this.#applied;
    const r = this.link ? await this.link.read(this.name, this.#timeoutMs) : undefined;
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
            'sync',
            this.settings.resetTimeoutMs,
            this.until - Date.now(),
            this.#timeoutMs,
          )
        : await link.read(this.name, this.#timeoutMs);
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
    if (r.epoch < this.#epoch && seen !== this.#applied) return;
    this.#applied++;
    this.#epoch = r.epoch;
    this.#openedHere = false;
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

  #set(state: BreakerState, failures: number, until: number): void {
    this.failures = failures;
    this.until = until;
    if (state === this.state) return;
    const from = this.state;
    this.state = state;
    if (state !== 'halfOpen') this.#probe = 0; // a running probe no longer decides
    if (state !== 'open') this.#openedHere = false;
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

/** `isFailure`, where a throwing classifier means "a failure" (it never changes the outcome). */
export function isFailureSafe(isFailure: (e: unknown) => boolean, error: unknown): boolean {
  try {
    return isFailure(error) !== false;
  } catch {
    return true;
  }
}
