import { isRedisLike, type RedisLike } from './types';

/**
 * What @resil needs of a node-redis (`redis` v5) client: `createClient()` (a `RedisClient`) or
 * `createCluster()` (a `RedisCluster`). Recognised by shape (`sendCommand` + `isOpen`), so core
 * neither imports nor depends on the `redis` package.
 */
export interface NodeRedisLike {
  /** True from `connect()` until `close()`/`destroy()` (also while reconnecting). */
  readonly isOpen: boolean;
  /** A single client only: connected and ready for commands. A `RedisCluster` has none. */
  readonly isReady?: boolean;
  // biome-ignore lint/suspicious/noExplicitAny: a client's (args) and a cluster's (firstKey, isReadonly, args)
  sendCommand(...args: any[]): Promise<unknown>;
  // biome-ignore lint/suspicious/noExplicitAny: event listeners of any shape
  on(event: string, listener: (...args: any[]) => void): unknown;
  // biome-ignore lint/suspicious/noExplicitAny: event listeners of any shape
  off(event: string, listener: (...args: any[]) => void): unknown;
  /** v5: QUIT-like, waits for the replies of commands already sent. */
  close?(): Promise<unknown>;
  /** v5: drops the connection, rejecting what is pending. */
  destroy?(): unknown;
  /** v4 (deprecated in v5). */
  quit?(): Promise<unknown>;
  /** v4 (deprecated in v5). */
  disconnect?(): unknown;
}

/** A client core accepts: ioredis `Redis`/`Cluster` (`RedisLike`) or node-redis client/cluster. */
export type RedisClient = RedisLike | NodeRedisLike;

/** True for any client core accepts: an ioredis `Redis`/`Cluster` or a node-redis client/cluster. */
export function isRedisClient(v: unknown): v is RedisClient {
  return isRedisLike(v) || isNodeRedisClient(v);
}

/** True for a node-redis client or cluster (`createClient()`, `createCluster()`), connected or not. */
export function isNodeRedisClient(v: unknown): v is NodeRedisLike {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r.isOpen === 'boolean' &&
    typeof r.sendCommand === 'function' &&
    typeof r.on === 'function' &&
    typeof r.status !== 'string' // ioredis has `sendCommand` too, and a `status`
  );
}

/** True for a node-redis `RedisCluster` (its `sendCommand` takes the first key, to route). */
export function isNodeRedisCluster(v: unknown): boolean {
  if (!isNodeRedisClient(v)) return false;
  const r = v as unknown as Record<string, unknown>;
  return (
    typeof r.nodeClient === 'function' ||
    typeof r.getSlotMaster === 'function' || // v4
    (typeof r.isReady !== 'boolean' && Array.isArray(r.masters))
  );
}

/** Single clients seen ready, for node-redis versions without `socketEpoch`. */
const seenReady = new WeakSet<object>();

/**
 * The connection status of any client, in ioredis's words: `'connecting'`, `'ready'`,
 * `'reconnecting'`, `'end'` (and ioredis's own: `'wait'`, `'connect'`, `'close'`).
 * node-redis single client: not open → `end`; ready → `ready`; open, not ready → `connecting`
 * before its first ready, `reconnecting` after. node-redis cluster: not open → `end`; open with
 * its slots discovered → `ready` (a node that is down fails the commands sent to it), else
 * `connecting`.
 */
export function clientStatus(client: RedisClient): string {
  const s = (client as { status?: unknown }).status;
  if (typeof s === 'string') return s;
  const n = client as NodeRedisLike & { socketEpoch?: unknown; masters?: unknown };
  if (!n.isOpen) return 'end';
  if (typeof n.isReady === 'boolean') {
    if (n.isReady) {
      seenReady.add(n);
      return 'ready';
    }
    const epoch = n.socketEpoch;
    const wasReady = typeof epoch === 'number' ? epoch > 0 : seenReady.has(n);
    return wasReady ? 'reconnecting' : 'connecting';
  }
  return Array.isArray(n.masters) && n.masters.length > 0 ? 'ready' : 'connecting';
}

/** The events a client emits when it (re)connects, ready for commands. */
export function readyEventsOf(client: RedisClient): readonly string[] {
  return isNodeRedisCluster(client) ? ['connect', 'node-ready'] : ['ready'];
}

/** The event a client emits once closed for good (`end`; a node-redis cluster's `disconnect`). */
export function endEventOf(client: RedisClient): string {
  return isNodeRedisCluster(client) ? 'disconnect' : 'end';
}

/** Subscribes `listener` to the client's ready events; returns the unsubscribe. */
export function onClientReady(client: RedisClient, listener: () => void): () => void {
  const events = readyEventsOf(client);
  for (const e of events) client.on(e, listener);
  return () => {
    for (const e of events) client.off(e, listener);
  };
}

/** Subscribes `listener` to the client's closed-for-good event; returns the unsubscribe. */
export function onClientEnd(client: RedisClient, listener: () => void): () => void {
  const event = endEventOf(client);
  client.on(event, listener);
  return () => {
    client.off(event, listener);
  };
}

function toArg(v: unknown): string | Buffer {
  if (typeof v === 'string' || Buffer.isBuffer(v)) return v;
  return String(v);
}

/**
 * Sends one command on a node-redis client or cluster. Numbers are sent as their decimal text
 * (node-redis takes strings and Buffers only). On a cluster, `firstKey` picks the node (the
 * slot's master); without it, any node.
 */
export function sendNodeRedis(
  client: NodeRedisLike,
  args: readonly unknown[],
  firstKey?: string | Buffer,
): Promise<unknown> {
  const a = args.map(toArg);
  return isNodeRedisCluster(client)
    ? client.sendCommand(firstKey, false, a)
    : client.sendCommand(a);
}

const NODE_REDIS_REPLY_ERRORS = new Set(['ErrorReply', 'SimpleError', 'BlobError']);

/** True for an error reply of node-redis (`ErrorReply` and subclasses; their `name` is `'Error'`). */
export function isNodeRedisErrorReply(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  for (let p = Object.getPrototypeOf(err); p && p !== Error.prototype; p = Object.getPrototypeOf(p))
    if (NODE_REDIS_REPLY_ERRORS.has((p.constructor as { name?: string } | undefined)?.name ?? ''))
      return true;
  return false;
}

/** Waits for `p` at most `timeoutMs`; a rejection is swallowed (the connection went away). */
export async function bounded(p: Promise<unknown>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      p,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
        timer.unref?.();
      }),
    ]);
  } catch {
    // the connection went away meanwhile: nothing left to quit
  } finally {
    clearTimeout(timer);
  }
}

/** A node of a node-redis cluster: its client, and the promise of a connection in flight. */
interface ClusterNode {
  readonly client?: NodeRedisLike;
  readonly connectPromise?: Promise<unknown>;
}

function clusterNodes(client: NodeRedisLike): ClusterNode[] {
  const c = client as unknown as {
    masters?: unknown;
    replicas?: unknown;
    pubSubNode?: ClusterNode;
  };
  const all: ClusterNode[] = [];
  if (Array.isArray(c.masters)) all.push(...(c.masters as ClusterNode[]));
  if (Array.isArray(c.replicas)) all.push(...(c.replicas as ClusterNode[]));
  if (c.pubSubNode) all.push(c.pubSubNode);
  return all;
}

/**
 * True while a connection of the client is being made (a socket being opened, or its handshake).
 * node-redis 5 leaks what it connects then if closed: a client `destroy()`ed or `close()`d during
 * its connect still becomes ready on a socket nobody closes (it keeps the process alive), and a
 * cluster closed while it discovers its slots connects every master afterwards, each client
 * reconnecting for ever once the cluster is gone.
 */
function connecting(client: NodeRedisLike): boolean {
  if (!client.isOpen) return false;
  if (!isNodeRedisCluster(client)) return client.isReady === false;
  const nodes = clusterNodes(client);
  return nodes.length === 0 || nodes.some((n) => n.connectPromise !== undefined);
}

/**
 * Resolves once the connection being made is made ("ready"; a cluster: `connect`, its slots
 * discovered and every master connected) or failed (`error`, when node-redis waits before the
 * next attempt: a moment it can be closed without a leak), or the client ended, at most
 * `timeoutMs`.
 */
async function settled(client: NodeRedisLike, timeoutMs: number): Promise<void> {
  const events = isNodeRedisCluster(client)
    ? ['connect', 'error', 'node-error', 'disconnect']
    : ['ready', 'error', 'end'];
  let done: () => void = () => {};
  const p = new Promise<void>((resolve) => {
    done = resolve;
  });
  for (const e of events) client.on(e, done);
  try {
    await bounded(p, timeoutMs);
  } finally {
    for (const e of events) client.off(e, done);
  }
}

function hardClose(client: NodeRedisLike): void {
  const hard = client.destroy ?? client.disconnect;
  if (client.isOpen && hard) {
    try {
      const r = hard.call(client);
      if (r instanceof Promise) r.catch(() => {});
    } catch {
      // closed meanwhile
    }
  }
  // A cluster's destroy() stops at the first node client already closed: close the rest.
  for (const node of isNodeRedisCluster(client) ? clusterNodes(client) : []) {
    if (node.client?.isOpen) hardClose(node.client);
  }
}

/**
 * Quits a node-redis client or cluster, bounded: a connection being made is first let finish or
 * fail (at most `timeoutMs`: closing node-redis 5 in the middle of it leaks it, see
 * `connecting`); then `close()` (v4: `quit()`) when ready, at most `timeoutMs`; then `destroy()`
 * (v4: `disconnect()`) if still open, and on a cluster every node client still open.
 */
export async function quitNodeRedis(client: NodeRedisLike, timeoutMs: number): Promise<void> {
  if (!client.isOpen) return;
  if (connecting(client)) await settled(client, timeoutMs);
  if (clientStatus(client) === 'ready' && !connecting(client)) {
    const graceful = client.close ?? client.quit;
    if (graceful)
      await bounded(
        Promise.resolve().then(() => graceful.call(client)),
        timeoutMs,
      );
  }
  hardClose(client);
}

const adapters = new WeakMap<object, RedisLike>();

/** An ioredis-shaped view of a node-redis client made by `fromNodeRedis`. */
export interface NodeRedisAdapter extends RedisLike {
  /** The node-redis client or cluster underneath. */
  readonly nodeRedis: NodeRedisLike;
  /**
   * Any command, as node-redis `sendCommand` (numbers sent as text). On a cluster, `firstKey`
   * routes it; without one, any node answers.
   */
  sendCommand(args: readonly unknown[], firstKey?: string | Buffer): Promise<unknown>;
}

/**
 * An ioredis-shaped `RedisLike` over a node-redis client or cluster, for code written against
 * `RedisLike` (`status`, `evalsha`/`eval` with ioredis's arguments, `on`/`off` of `ready`/`end`,
 * `quit`, `disconnect`). The same client always gives the same adapter. Core's own functions
 * take node-redis clients as they are; the adapter is for a package's own code.
 */
export function fromNodeRedis(client: NodeRedisLike): NodeRedisAdapter {
  if (!isNodeRedisClient(client))
    throw new TypeError('fromNodeRedis: client must be a node-redis client or cluster');
  const known = adapters.get(client);
  if (known) return known as NodeRedisAdapter;
  const mapped = (event: string): readonly string[] =>
    event === 'ready' ? readyEventsOf(client) : event === 'end' ? [endEventOf(client)] : [event];
  const script =
    (command: 'EVALSHA' | 'EVAL') =>
    (shaOrLua: string, numberOfKeys: number | string, ...rest: unknown[]) => {
      const n = Number(numberOfKeys);
      const firstKey = n > 0 ? (toArg(rest[0]) as string | Buffer) : undefined;
      return sendNodeRedis(client, [command, shaOrLua, n, ...rest], firstKey);
    };
  const adapter: NodeRedisAdapter = {
    nodeRedis: client,
    get status() {
      return clientStatus(client);
    },
    evalsha: script('EVALSHA'),
    eval: script('EVAL'),
    sendCommand: (args, firstKey) => sendNodeRedis(client, args, firstKey),
    on(event, listener) {
      for (const e of mapped(event)) client.on(e, listener);
      return adapter;
    },
    off(event, listener) {
      for (const e of mapped(event)) client.off(e, listener);
      return adapter;
    },
    async quit() {
      await quitNodeRedis(client, 1000);
      return 'OK';
    },
    disconnect() {
      hardClose(client);
    },
  };
  adapters.set(client, adapter);
  return adapter;
}

/** An ioredis-shaped client for either kind: an ioredis client as it is, a node-redis one adapted. */
export function toRedisLike(client: RedisClient): RedisLike {
  return isNodeRedisClient(client) ? fromNodeRedis(client) : client;
}

/**
 * One command on any client: ioredis `call(...args)` (a Cluster routes by the command's keys),
 * node-redis `sendCommand` (a cluster routed by `firstKey`, else any node).
 *
 *   await redisCommand(client, ['PING']);  await redisCommand(client, ['WAIT', 1, 100], key);
 */
export function redisCommand(
  client: RedisClient,
  args: readonly unknown[],
  firstKey?: string | Buffer,
): Promise<unknown> {
  if (isNodeRedisClient(client)) return sendNodeRedis(client, args, firstKey);
  const call = (client as { call?: (...a: unknown[]) => Promise<unknown> }).call;
  if (typeof call !== 'function')
    return Promise.reject(new TypeError('redisCommand: client has neither call nor sendCommand'));
  return call.apply(client, args as unknown[]);
}
