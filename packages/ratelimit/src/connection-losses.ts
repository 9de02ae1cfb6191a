import { isNodeRedisClient, isNodeRedisCluster, type RedisClient } from '@resil/core';

const losses = new WeakMap<object, { count: number }>();

/**
 * The events that say a client lost its connection (or is trying to get it back).
 * - ioredis: `close` (every lost connection, and every failed attempt), and for a Cluster a node
 *   error or a node gone (`node error`, `-node`);
 * - node-redis client: `reconnecting` (after every lost connection it will get back, and every
 *   failed attempt); not `error`: a listener there would hide the application's own unhandled
 *   errors, and every loss it reports that can end in a reply is followed by `reconnecting`;
 * - node-redis cluster: a node's `node-error` or `node-reconnecting`.
 */
function lossEventsOf(client: RedisClient): readonly string[] {
  if (isNodeRedisCluster(client)) return ['node-error', 'node-reconnecting'];
  if (isNodeRedisClient(client)) return ['reconnecting'];
  return ['close', '-node', 'node error'];
}

/**
 * How many times the client has lost its connection (see `lossEventsOf`) since the first call
 * for this client: a change means Redis may have restarted and lost its data. One listener per
 * client, however many limiters share it.
 */
export function connectionLosses(client: RedisClient): { readonly count: number } {
  let entry = losses.get(client);
  if (!entry) {
    const e = { count: 0 };
    const bump = () => {
      e.count++;
    };
    for (const event of lossEventsOf(client)) client.on(event, bump);
    losses.set(client, e);
    entry = e;
  }
  return entry;
}
