import type { RedisLike } from '@resil/core';

const losses = new WeakMap<RedisLike, { count: number }>();

/**
 * How many times the client has lost its connection (a `close`, or for a Cluster a node error
 * or a node gone) since the first call for this client: a change means Redis may have restarted
 * and lost its data. One listener per client, however many limiters share it.
 */
export function connectionLosses(client: RedisLike): { readonly count: number } {
  let entry = losses.get(client);
  if (!entry) {
    const e = { count: 0 };
    const bump = () => {
      e.count++;
    };
    client.on('close', bump);
    client.on('-node', bump);
    client.on('node error', bump);
    losses.set(client, e);
    entry = e;
  }
  return entry;
}
