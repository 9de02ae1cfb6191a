import { type Event, EventEmitter } from '../events';
import { Resource } from '../lifecycle';
import {
  clientStatus,
  isNodeRedisClient,
  type NodeRedisLike,
  onClientReady,
  quitNodeRedis,
  type RedisClient,
} from './node-redis';

/** Emitted each time Redis confirms the subscription. */
export interface ListeningEvent {
  /** False the first time; true after a reconnect (messages published meanwhile were missed). */
  readonly reconnect: boolean;
}

interface Duplicable {
  duplicate(): RedisClient;
}

/**
 * One channel subscribed on a connection of its own (a duplicate of `client`, which is never
 * touched otherwise), for ioredis and node-redis clients and clusters alike.
 *
 * SUBSCRIBE is asked until Redis confirms it: a SUBSCRIBE that fails while Redis is away is asked
 * again on the next `ready`. Both clients renew a confirmed subscription by themselves after a
 * reconnect; `onListening` then fires with `reconnect: true`, so the owner can read again what it
 * may have missed. `close()` quits the duplicate.
 */
export class ChannelSubscription extends Resource {
  readonly channel: string;
  /** Resolves once Redis first confirmed the subscription, or the first attempt failed. */
  readonly subscribed: Promise<void>;
  readonly #listeningEvents = new EventEmitter<ListeningEvent>();
  /** Fired on each confirmation of the subscription (see `ListeningEvent`). */
  readonly onListening: Event<ListeningEvent> = this.#listeningEvents.event;
  readonly #sub: RedisClient;
  readonly #offReady: () => void;
  #listening = false;
  #asking = false;
  #connected = false;
  #settle: () => void = () => {};

  constructor(client: RedisClient, channel: string, onMessage: (message: string) => void) {
    super();
    if (typeof channel !== 'string' || channel.length === 0)
      throw new TypeError('ChannelSubscription: channel must be a non-empty string');
    if (typeof onMessage !== 'function')
      throw new TypeError('ChannelSubscription: onMessage must be a function');
    const dup = (client as unknown as Partial<Duplicable>).duplicate;
    if (typeof dup !== 'function')
      throw new TypeError('ChannelSubscription: client must have duplicate()');
    this.channel = channel;
    this.subscribed = new Promise<void>((resolve) => {
      this.#settle = resolve;
    });
    const sub = dup.call(client);
    this.#sub = sub;
    const nodeRedis = isNodeRedisClient(sub);
    const deliver = (message: unknown) => {
      if (this.closed) return;
      try {
        onMessage(String(message));
      } catch {
        // the owner's handler failing must not stop the subscription (nor reach the client)
      }
    };
    // Without a SUBSCRIBE waiting for its answer, a connection error settles `subscribed`, so a
    // caller does not wait on a Redis that is away.
    sub.on('error', () => {
      if (!this.#asking) this.#settle();
    });
    const ask = onMessageOf(sub, nodeRedis, channel, deliver);
    this.#offReady = onClientReady(sub, () => {
      const reconnect = this.#connected;
      this.#connected = true;
      if (!this.#listening) this.#ask(ask);
      else if (reconnect) this.#listeningEvents.emit({ reconnect: true });
    });
    if (nodeRedis) {
      (sub as unknown as { connect(): Promise<unknown> }).connect().then(
        () => this.#ask(ask),
        () => this.#settle(),
      );
    } else {
      // ioredis connects by itself and queues the command meanwhile; a lazyConnect client
      // without offline queue is connected here, and asked on its 'ready'
      if (clientStatus(sub) === 'wait')
        (sub as unknown as { connect(): Promise<unknown> }).connect().catch(() => {});
      this.#ask(ask);
    }
  }

  /** True while Redis confirms the subscription. */
  get listening(): boolean {
    return this.#listening;
  }

  #ask(subscribe: () => Promise<unknown>): void {
    if (this.#listening || this.#asking || this.closed) return;
    this.#asking = true;
    subscribe().then(
      () => {
        this.#asking = false;
        if (this.closed) return this.#settle();
        const first = !this.#listening;
        this.#listening = true;
        if (first) this.#listeningEvents.emit({ reconnect: false });
        this.#settle();
      },
      () => {
        this.#asking = false;
        this.#settle();
      },
    );
  }

  protected async onClose(): Promise<void> {
    this.#offReady();
    this.#listening = false;
    this.#listeningEvents.clear();
    this.#settle();
    const sub = this.#sub;
    if (isNodeRedisClient(sub)) await quitNodeRedis(sub as NodeRedisLike, 1000);
    else if (clientStatus(sub) !== 'end') sub.disconnect();
  }
}

/** The call that asks Redis for the subscription on `sub` (node-redis takes the listener there). */
function onMessageOf(
  sub: RedisClient,
  nodeRedis: boolean,
  channel: string,
  deliver: (message: unknown) => void,
): () => Promise<unknown> {
  if (nodeRedis) {
    const s = sub as unknown as {
      subscribe(channel: string, listener: (message: unknown) => void): Promise<unknown>;
    };
    return () => s.subscribe(channel, deliver);
  }
  const s = sub as unknown as {
    subscribe(channel: string): Promise<unknown>;
    on(event: 'message', l: (ch: string, message: string) => void): unknown;
  };
  let attached = false;
  return () => {
    if (!attached) {
      attached = true;
      s.on('message', (ch, message) => {
        if (ch === channel) deliver(message);
      });
    }
    return s.subscribe(channel);
  };
}

/** Subscribes to `channel` on a duplicate of `client` (see `ChannelSubscription`). */
export function subscribeChannel(
  client: RedisClient,
  channel: string,
  onMessage: (message: string) => void,
): ChannelSubscription {
  return new ChannelSubscription(client, channel, onMessage);
}
