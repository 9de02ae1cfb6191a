import {
  BoundedRedis,
  type ChannelSubscription,
  type ClientLease,
  type KeyBuilder,
  keyBuilder,
  leaseClient,
  onClientReady,
  type RedisClient,
  Resource,
  type Script,
  type ScriptArg,
  subscribeChannel,
} from '@resil/core';
import { SCRIPTS } from './scripts';

/**
 * The clients the breaker takes: ioredis `Redis` and `Cluster`, node-redis (`redis` v5)
 * `createClient()` and `createCluster()`. @deprecated use core's `RedisClient` (the same type).
 */
export type RedisLike = RedisClient;

/** A script's answer: the shared state, in Redis time. */
export interface SharedState {
  state: 'closed' | 'open' | 'halfOpen' | 'probe';
  failures: number;
  /** Redis ms: when a probe may start (open) or when the probe's lease ends (halfOpen/probe). */
  until: number;
  /** Redis ms at the time of the answer. */
  now: number;
  /** Incremented by every state change: an answer older than what a worker knows is ignored. */
  epoch: number;
  /** read: the configuration stored by breaker.configure() (JSON). */
  config?: string;
  /** rate: the calls in the window. */
  calls?: number;
}

/**
 * The circuit's settings as the scripts take them (ARGV[6..16]): resetTimeoutMs,
 * resetTimeoutMaxMs, resetBackoffFactor, quorum, windowMs, workerId, halfOpenPermits,
 * probeLeaseMs, minimumCalls, failureRateThreshold, slowCallRateThreshold.
 */
export type ScriptSettings = readonly ScriptArg[];

/** After a failed or timed-out command, how long the breakers leave Redis alone (ms). */
export const BACKOFF_MS = 1000;

/** Listener of one circuit on a link: state pushed by pub/sub, and the link's health. */
export interface LinkMember {
  readonly name: string;
  onShared(state: SharedState): void;
  linkDegraded(reason: 'timeout' | 'failed' | 'unavailable'): void;
  linkRestored(downMs: number): void;
  /** The subscriber reconnected (Redis may have restarted and lost its data): resynchronise. */
  onReconnected(): Promise<void>;
  /** Read the shared state again (changes published while nobody listened were missed). */
  resync(): Promise<void>;
  /** A configuration published by breaker.configure() (JSON). */
  onConfig(json: string): void;
}

/**
 * One Redis client as used by every breaker on it (for one key prefix): the scripts through
 * @resil/core's `BoundedRedis` (a time limit per command; after a failure, a back-off of
 * `BACKOFF_MS` without commands, then one probe), the change channel through core's
 * `subscribeChannel` (one subscriber connection), and the circuits on it. A client made from a URL is leased from core's
 * `sharedClients` and released by `close()`; a caller's client is never quit.
 */
export class RedisLink extends Resource {
  readonly client: RedisClient;
  readonly channel: string;
  readonly keys: KeyBuilder;
  readonly #lease: ClientLease<RedisClient>;
  readonly #bounded: BoundedRedis<RedisClient>;
  #offClientReady: () => void = () => {};
  readonly #members = new Map<string, Set<LinkMember>>();
  #subscription: ChannelSubscription | undefined;
  /** The members' read after the latest confirmation of the subscription. */
  #resyncing: Promise<void> = Promise.resolve();
  /**
   * Resolves once the change channel is subscribed and the members resynchronised, or once the
   * first attempt failed (Redis unreachable: the subscription is retried whenever it returns).
   */
  subscribed: Promise<void> = Promise.resolve();
  readonly #onClientReady = () => {
    // The command connection is back after an outage (BoundedRedis has ended its back-off):
    // resynchronise at once rather than wait for the next call that needs Redis (a closed
    // circuit sends nothing).
    if (this.#bounded.degraded) void this.#resyncAll();
  };

  /** `keyPrefix` must not contain braces (checked by the caller). */
  constructor(redis: RedisClient | string, keyPrefix: string) {
    super();
    this.keys = keyBuilder(keyPrefix, 'breaker');
    this.channel = `${keyPrefix}breaker:changes`;
    this.#lease = leaseClient(redis);
    this.client = this.#lease.client;
    // Every failure of a breaker's script sends the circuit to memory (a breaker never fails a
    // call for its store's sake), so every error counts as an outage.
    this.#bounded = new BoundedRedis(this.client, { backoffMs: BACKOFF_MS, isOutage: () => true });
    this.#bounded.onDegraded(({ reason }) => {
      for (const m of this.#all()) m.linkDegraded(reason);
    });
    this.#bounded.onRestored(({ downMs }) => {
      for (const m of this.#all()) m.linkRestored(downMs);
    });
    // After BoundedRedis's own ready listener, which ends its back-off (core's onClientReady:
    // ioredis and node-redis `ready`, a node-redis cluster's `connect`/`node-ready`).
    this.#offClientReady = onClientReady(this.client, this.#onClientReady);
  }

  key(name: string): string {
    return this.keys.key(name);
  }

  get degraded(): boolean {
    return this.#bounded.degraded;
  }

  /** True when a command would be sent now (ready client, no back-off after a failure). */
  usable(): boolean {
    return this.#bounded.usable();
  }

  join(member: LinkMember): void {
    let set = this.#members.get(member.name);
    if (!set) {
      set = new Set();
      this.#members.set(member.name, set);
    }
    set.add(member);
    this.#subscribe();
  }

  /** Returns true when nobody is left on the link (the caller then closes it). */
  leave(member: LinkMember): boolean {
    const set = this.#members.get(member.name);
    set?.delete(member);
    if (set && set.size === 0) this.#members.delete(member.name);
    return this.#members.size === 0;
  }

  /** Closes the subscriber connection and the bounded caller, and gives the client back. */
  protected async onClose(): Promise<void> {
    const sub = this.#subscription;
    this.#subscription = undefined;
    this.#offClientReady();
    await this.#bounded.close();
    await Promise.all([sub?.close(), this.#lease.release()]);
  }

  /** The state, and the stored configuration (JSON) in `config`. */
  read(name: string, s: ScriptSettings, timeoutMs: number) {
    return this.#run(name, timeoutMs, SCRIPTS.read, ['', '', ''], s);
  }
  failure(name: string, threshold: number, s: ScriptSettings, timeoutMs: number) {
    return this.#run(name, timeoutMs, SCRIPTS.failure, [threshold, '', ''], s);
  }
  success(name: string, s: ScriptSettings, timeoutMs: number) {
    return this.#run(name, timeoutMs, SCRIPTS.success, ['', '', ''], s);
  }
  /** A batch of rate-mode counts of this worker. */
  rate(
    name: string,
    calls: number,
    failures: number,
    slow: number,
    s: ScriptSettings,
    timeoutMs: number,
  ) {
    return this.#run(name, timeoutMs, SCRIPTS.rate, [calls, failures, slow], s);
  }
  acquireProbe(name: string, s: ScriptSettings, timeoutMs: number) {
    return this.#run(name, timeoutMs, SCRIPTS.acquireProbe, ['', '', ''], s);
  }
  /** `token`: the epoch of the probe's grant (fencing); undefined for a probe granted in memory. */
  probeResult(
    name: string,
    outcome: 'success' | 'failure' | 'cancel',
    token: number | undefined,
    s: ScriptSettings,
    timeoutMs: number,
  ) {
    return this.#run(
      name,
      timeoutMs,
      SCRIPTS.probeResult,
      [outcome, token === undefined ? '' : String(token), ''],
      s,
    );
  }
  force(
    name: string,
    target: 'open' | 'closed' | 'sync' | 'isolate',
    remainingMs: number,
    s: ScriptSettings,
    timeoutMs: number,
  ) {
    return this.#run(
      name,
      timeoutMs,
      SCRIPTS.force,
      [target, Math.max(0, Math.round(remainingMs)), ''],
      s,
    );
  }
  /** Merges `changed` (JSON) into the stored configuration; the stored JSON, or undefined. */
  async configure(name: string, changed: string, timeoutMs: number): Promise<string | undefined> {
    const reply = await this.#bounded.tryRun(
      (c) => SCRIPTS.configure.run(c, this.#keys(name), [this.channel, name, changed]),
      { timeoutMs },
    );
    return typeof reply === 'string' ? reply : undefined;
  }

  #keys(name: string): string[] {
    return [
      this.keys.key(name),
      this.keys.key(name, 'w'),
      this.keys.key(name, 'q'),
      this.keys.key(name, 'config'),
    ];
  }

  /**
   * Runs a script (ARGV: channel, name, three values, settings) with a bounded wait; undefined
   * when Redis is unusable, failed or too slow.
   */
  async #run(
    name: string,
    timeoutMs: number,
    script: Script,
    args: ScriptArg[],
    s: ScriptSettings,
  ): Promise<SharedState | undefined> {
    const reply = await this.#bounded.tryRun(
      (c) => script.run(c, this.#keys(name), [this.channel, name, ...args, ...s]),
      { timeoutMs },
    );
    if (reply === undefined) return undefined;
    const [state, failures, until, now, epoch, extra] = reply as [
      string,
      number,
      number,
      number,
      number,
      unknown,
    ];
    return {
      state: state as SharedState['state'],
      failures: Number(failures),
      until: Number(until),
      now: Number(now),
      epoch: Number(epoch),
      ...(script === SCRIPTS.read && typeof extra === 'string' ? { config: extra } : {}),
      ...(script === SCRIPTS.rate && extra !== undefined && extra !== null
        ? { calls: Number(extra) }
        : {}),
    };
  }

  #all(): LinkMember[] {
    return [...this.#members.values()].flatMap((set) => [...set]);
  }

  /** Every member reads the shared state again (and pushes an open state kept in memory). */
  async #resyncAll(reconnected = false): Promise<void> {
    await Promise.all(this.#all().map((m) => (reconnected ? m.onReconnected() : m.resync())));
  }

  /**
   * The change channel, on a connection of its own (core's `subscribeChannel`: SUBSCRIBE asked
   * again on every reconnect until Redis confirms it; ioredis renews it afterwards). On each
   * confirmation the members read what they may have missed (issue #16, finding 9); after a
   * reconnect Redis may have restarted empty, so they also forget the epoch they knew.
   */
  #subscribe(): void {
    if (this.#subscription) return;
    const sub = subscribeChannel(this.client, this.channel, (m) => this.#onMessage(m));
    this.#subscription = sub;
    sub.onListening(({ reconnect }) => {
      this.#resyncing = this.#resyncAll(reconnect);
    });
    this.subscribed = sub.subscribed.then(() => this.#resyncing);
  }

  #onMessage(message: string): void {
    if (message.charCodeAt(0) === 1) {
      // \x01version|json|name (the JSON holds no '|'; the name may)
      const a = message.indexOf('|');
      const b = message.indexOf('|', a + 1);
      if (a < 0 || b < 0) return;
      const set = this.#members.get(message.slice(b + 1));
      if (set) for (const m of set) m.onConfig(message.slice(a + 1, b));
      return;
    }
    // name|state|until|now|epoch, where the name itself may contain '|'.
    const parts = message.split('|');
    if (parts.length < 5) return;
    const epoch = Number(parts.pop());
    const now = Number(parts.pop());
    const until = Number(parts.pop());
    const state = parts.pop() as SharedState['state'];
    const name = parts.join('|');
    const set = this.#members.get(name);
    if (!set) return;
    for (const m of set)
      m.onShared({ state, failures: state === 'closed' ? 0 : -1, until, now, epoch });
  }
}
