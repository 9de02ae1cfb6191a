import { EventEmitter } from 'node:events';
import { BreakerTimeoutError, CircuitOpenError } from './errors';
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

export interface BreakerEvents {
  stateChange: [StateChangeEvent];
  success: [{ name: string; durationMs: number }];
  failure: [{ name: string; durationMs: number; error: unknown }];
  reject: [{ name: string; retryAfterMs: number }];
  timeout: [{ name: string; timeoutMs: number }];
  /** Redis stopped answering: the circuit carries on in this process's memory. */
  degraded: [{ name: string }];
  /** Redis answers again: the circuit is shared again (an open state kept in memory is pushed). */
  restored: [{ name: string }];
}

export interface CircuitSettings {
  name: string;
  failureThreshold: number;
  resetTimeoutMs: number;
  probeLeaseMs: number;
  commandTimeoutMs: number;
}

/** Where a breaker logs state changes and Redis outages. */
export interface BreakerLogger {
  warn(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
}

/**
 * One circuit: every breaker with the same name (and Redis link) in this process shares it. In
 * the closed state a success touches nothing but this object; failures, probes and forced changes
 * go through the link's Lua scripts, and changes made by other workers arrive by pub/sub.
 */
export class Circuit extends EventEmitter<BreakerEvents> implements LinkMember {
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
  readonly #loggers = new Map<BreakerLogger, number>();
  /** Listeners of success/failure: only then is a call timed. */
  #timed = 0;

  constructor(settings: CircuitSettings, link: RedisLink | undefined) {
    super();
    const timedEvent = (e: string | symbol) => e === 'success' || e === 'failure';
    const self = this as EventEmitter;
    self.on('newListener', (e: string | symbol) => {
      if (timedEvent(e)) this.#timed++;
    });
    self.on('removeListener', (e: string | symbol) => {
      if (timedEvent(e)) this.#timed--;
    });
    this.name = settings.name;
    this.settings = settings;
    this.link = link;
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

  async run<T>(
    fn: () => Promise<T>,
    isFailure: (e: unknown) => boolean,
    timeoutMs: number | undefined,
  ): Promise<T> {
    this.stats.calls++;
    if (this.#initial) await this.#initial;
    const probe = this.state === 'closed' ? undefined : await this.#admit();
    const started = this.#timed > 0 ? performance.now() : 0;
    let value: T;
    try {
      value = timeoutMs === undefined ? await fn() : await this.#withTimeout(fn, timeoutMs);
    } catch (error) {
      const counted = isFailureSafe(isFailure, error);
      if (counted) {
        this.stats.failures++;
        this.#emit('failure', { name: this.name, durationMs: performance.now() - started, error });
      } else this.stats.ignored++;
      // Recorded before the caller sees the error, so this worker knows of an open circuit
      // before its next call.
      await this.#record(counted ? 'failure' : 'success', probe);
      throw error;
    }
    this.stats.successes++;
    if (this.#timed > 0)
      this.#emit('success', { name: this.name, durationMs: performance.now() - started });
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
            this.#emit('timeout', { name: this.name, timeoutMs });
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
    this.#emit('reject', { name: this.name, retryAfterMs });
    throw new CircuitOpenError(this.name, retryAfterMs);
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
    if (link?.usable()) {
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

  addLogger(logger: BreakerLogger): void {
    this.#loggers.set(logger, (this.#loggers.get(logger) ?? 0) + 1);
  }
  removeLogger(logger: BreakerLogger): void {
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

  // LinkMember
  onShared(s: SharedState): void {
    this.#apply(s);
  }
  onDegraded(): void {
    this.#log(
      'warn',
      'circuit breaker: Redis unavailable, circuit state kept in this process until it returns',
      { breaker: this.name },
    );
    this.#emit('degraded', { name: this.name });
  }
  onRestored(): void {
    this.#log('info', 'circuit breaker: Redis available again, circuit state shared again', {
      breaker: this.name,
    });
    this.#emit('restored', { name: this.name });
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
    this.#log(
      state === 'open' ? 'warn' : 'info',
      `circuit breaker ${this.name} state changed to ${state}`,
      { breaker: this.name, from, to: state },
    );
    this.#emit('stateChange', { name: this.name, from, to: state });
  }

  #emit<K extends keyof BreakerEvents>(event: K, ...args: BreakerEvents[K]): void {
    const listeners = this.listeners(event);
    if (listeners.length === 0) return;
    for (const listener of listeners) {
      try {
        (listener as (...a: BreakerEvents[K]) => void)(...args);
      } catch {
        // a throwing listener never changes the outcome of the call
      }
    }
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
