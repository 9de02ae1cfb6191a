import type { Cluster } from 'ioredis';
import { Redis } from 'ioredis';
import { ACQUIRE_PROBE, FAILURE, FORCE, PROBE_RESULT, READ, SUCCESS } from './scripts';

/** What the breaker needs of an ioredis client: `Redis` and `Cluster` both fit. */
export type RedisLike = Redis | Cluster;

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
}

type Commands = {
  resilBreakerRead(key: string, channel: string, name: string): Promise<unknown>;
  resilBreakerFailure(
    key: string,
    channel: string,
    name: string,
    threshold: number,
    resetMs: number,
  ): Promise<unknown>;
  resilBreakerSuccess(key: string, channel: string, name: string): Promise<unknown>;
  resilBreakerProbe(key: string, channel: string, name: string, leaseMs: number): Promise<unknown>;
  resilBreakerProbeResult(
    key: string,
    channel: string,
    name: string,
    outcome: string,
    resetMs: number,
    token: string,
  ): Promise<unknown>;
  resilBreakerForce(
    key: string,
    channel: string,
    name: string,
    target: string,
    resetMs: number,
    remainingMs: number,
  ): Promise<unknown>;
};

const defined = new WeakSet<object>();

function define(client: RedisLike): void {
  if (defined.has(client)) return;
  const def = (name: string, lua: string) => client.defineCommand(name, { numberOfKeys: 1, lua });
  def('resilBreakerRead', READ);
  def('resilBreakerFailure', FAILURE);
  def('resilBreakerSuccess', SUCCESS);
  def('resilBreakerProbe', ACQUIRE_PROBE);
  def('resilBreakerProbeResult', PROBE_RESULT);
  def('resilBreakerForce', FORCE);
  defined.add(client);
}

/** Listener of one circuit on a link: state pushed by pub/sub, and the link's health. */
export interface LinkMember {
  readonly name: string;
  onShared(state: SharedState): void;
  onDegraded(): void;
  onRestored(): void;
  /** The subscriber reconnected (Redis may have restarted and lost its data): resynchronise. */
  onReconnected(): Promise<void>;
  /** Read the shared state again (changes published while nobody listened were missed). */
  resync(): Promise<void>;
}

/**
 * One Redis client as used by every breaker on it: scripts with a bounded wait, one subscriber
 * connection for the change channel, and the degraded/restored bookkeeping. A down Redis never
 * holds a call: while the client is not ready, or for `retryMs` after a failed command, the
 * breakers do not ask it at all.
 */
export class RedisLink {
  readonly client: RedisLike;
  readonly channel: string;
  readonly keyPrefix: string;
  readonly #owned: boolean;
  readonly #members = new Map<string, Set<LinkMember>>();
  #subscriber: RedisLike | undefined;
  /**
   * Resolves once the change channel is subscribed and the members resynchronised, or once the
   * first attempt failed (Redis unreachable: the subscription is retried whenever it returns).
   */
  subscribed: Promise<void> = Promise.resolve();
  /** True while Redis confirms the subscription (ioredis renews it after a reconnect). */
  #listening = false;
  readonly #onClientReady = () => {
    // The command connection is back after an outage: resynchronise at once rather than wait
    // for the next call that needs Redis (a closed circuit sends nothing).
    if (!this.#degraded) return;
    this.#retryAt = 0;
    void this.#resyncAll();
  };
  #degraded = false;
  #retryAt = 0;
  #retryMs = 1000;

  constructor(redis: RedisLike | string, keyPrefix: string) {
    if (typeof redis === 'string') {
      this.client = new Redis(redis, { maxRetriesPerRequest: 1, enableOfflineQueue: true });
      this.client.on('error', () => {}); // reported through the breakers' degraded event
      this.#owned = true;
    } else {
      this.client = redis;
      this.#owned = false;
    }
    this.keyPrefix = keyPrefix;
    this.channel = `${keyPrefix}breaker:changes`;
    define(this.client);
    this.client.on('ready', this.#onClientReady);
  }

  key(name: string): string {
    return `${this.keyPrefix}{breaker:${name}}`;
  }

  get degraded(): boolean {
    return this.#degraded;
  }

  /** True when a command may be sent now (ready client, not inside a back-off after a failure). */
  usable(): boolean {
    const status = this.client.status;
    if (status === 'ready') return !this.#degraded || Date.now() >= this.#retryAt;
    // Still making its first connection: a command may wait for it (bounded by commandTimeoutMs).
    if ((status === 'wait' || status === 'connecting' || status === 'connect') && !this.#degraded)
      return true;
    if (!this.#degraded) this.#markDegraded();
    return false;
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

  /** Returns true when nobody is left on the link (the caller may then close it). */
  leave(member: LinkMember): boolean {
    const set = this.#members.get(member.name);
    set?.delete(member);
    if (set && set.size === 0) this.#members.delete(member.name);
    if (this.#members.size > 0) return false;
    const sub = this.#subscriber;
    this.#subscriber = undefined;
    this.#listening = false;
    sub?.disconnect();
    this.client.off('ready', this.#onClientReady);
    if (this.#owned) this.client.disconnect();
    return true;
  }

  read(name: string, timeoutMs: number) {
    return this.#run(name, timeoutMs, (c, k) => c.resilBreakerRead(k, this.channel, name));
  }
  failure(name: string, threshold: number, resetMs: number, timeoutMs: number) {
    return this.#run(name, timeoutMs, (c, k) =>
      c.resilBreakerFailure(k, this.channel, name, threshold, resetMs),
    );
  }
  success(name: string, timeoutMs: number) {
    return this.#run(name, timeoutMs, (c, k) => c.resilBreakerSuccess(k, this.channel, name));
  }
  acquireProbe(name: string, leaseMs: number, timeoutMs: number) {
    return this.#run(name, timeoutMs, (c, k) =>
      c.resilBreakerProbe(k, this.channel, name, leaseMs),
    );
  }
  /** `token`: the epoch of the probe's grant (fencing); undefined for a probe granted in memory. */
  probeResult(
    name: string,
    outcome: 'success' | 'failure',
    resetMs: number,
    token: number | undefined,
    timeoutMs: number,
  ) {
    return this.#run(name, timeoutMs, (c, k) =>
      c.resilBreakerProbeResult(
        k,
        this.channel,
        name,
        outcome,
        resetMs,
        token === undefined ? '' : String(token),
      ),
    );
  }
  force(
    name: string,
    target: 'open' | 'closed' | 'sync',
    resetMs: number,
    remainingMs: number,
    timeoutMs: number,
  ) {
    return this.#run(name, timeoutMs, (c, k) =>
      c.resilBreakerForce(
        k,
        this.channel,
        name,
        target,
        resetMs,
        Math.max(0, Math.round(remainingMs)),
      ),
    );
  }

  /** Runs a script with a bounded wait; undefined when Redis is unusable, failed or too slow. */
  async #run(
    name: string,
    timeoutMs: number,
    call: (c: Commands, key: string) => Promise<unknown>,
  ): Promise<SharedState | undefined> {
    if (!this.usable()) return undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      const reply = await Promise.race([
        call(this.client as unknown as Commands, this.key(name)),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
        }),
      ]);
      const [state, failures, until, now, epoch] = reply as [
        string,
        number,
        number,
        number,
        number,
      ];
      if (this.#degraded) this.#markRestored();
      return {
        state: state as SharedState['state'],
        failures: Number(failures),
        until: Number(until),
        now: Number(now),
        epoch: Number(epoch),
      };
    } catch {
      this.#markDegraded();
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  #markDegraded(): void {
    this.#retryAt = Date.now() + this.#retryMs;
    if (this.#degraded) return;
    this.#degraded = true;
    for (const set of this.#members.values()) for (const m of set) m.onDegraded();
  }

  #markRestored(): void {
    this.#degraded = false;
    for (const set of this.#members.values()) for (const m of set) m.onRestored();
  }

  /** Every member reads the shared state again (and pushes an open state kept in memory). */
  async #resyncAll(reconnected = false): Promise<void> {
    const all = [...this.#members.values()].flatMap((set) => [...set]);
    await Promise.all(all.map((m) => (reconnected ? m.onReconnected() : m.resync())));
  }

  #subscribe(): void {
    if (this.#subscriber) return;
    const sub = this.client.duplicate();
    this.#subscriber = sub;
    this.#listening = false;
    sub.on('message', (_channel: string, message: string) => this.#onMessage(message));
    let settle: () => void = () => {};
    let asking = false;
    this.subscribed = new Promise<void>((resolve) => {
      settle = resolve;
    });
    // Without a SUBSCRIBE waiting for an answer, a connection error settles `subscribed` (ready()
    // does not wait for a down Redis); a waiting one settles it when Redis answers or rejects it.
    sub.on('error', () => {
      if (!asking) settle();
    });
    // SUBSCRIBE until Redis confirms it. A SUBSCRIBE rejected while Redis is unreachable (no
    // offline queue, or the queued command flushed after a failed reconnect) is asked again on
    // the next 'ready' (issue #16, finding 9: it used to be swallowed and never asked again, so
    // the worker never heard another worker or an operator change the circuit). Once confirmed,
    // ioredis renews the subscription itself after a reconnect.
    const ask = () => {
      if (this.#listening || asking || this.#subscriber !== sub) return;
      asking = true;
      sub.subscribe(this.channel).then(
        async () => {
          asking = false;
          if (this.#subscriber !== sub) return settle();
          this.#listening = true;
          // Changes published before the subscription was active were missed: read them now.
          this.#retryAt = 0;
          await this.#resyncAll();
          settle();
        },
        () => {
          asking = false;
          settle();
        },
      );
    };
    let connected = false;
    sub.on('ready', () => {
      const reconnect = connected;
      connected = true;
      if (!this.#listening) return ask();
      // A reconnect: ioredis subscribes again; resynchronise what was missed meanwhile (Redis
      // may have restarted empty: members forget the epoch they knew).
      if (reconnect) {
        this.#retryAt = 0;
        void this.#resyncAll(true);
      }
    });
    // Ask now when the command can be sent or queued; otherwise on 'ready'.
    const queues = (sub as { options?: { enableOfflineQueue?: boolean } }).options
      ?.enableOfflineQueue;
    if (sub.status === 'ready' || queues !== false) ask();
    // A lazyConnect client without offline queue would otherwise never connect, so never be ready.
    else if (sub.status === 'wait') sub.connect().catch(() => {});
  }

  #onMessage(message: string): void {
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
