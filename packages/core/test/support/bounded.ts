import { EventEmitter as NodeEmitter } from 'node:events';
import { BoundedRedis, type DegradedEvent, type RestoredEvent } from '../../src/index';

/** A client BoundedRedis accepts: an emitter with ioredis's `status`. */
export class FakeClient extends NodeEmitter {
  status = 'ready';
}

/** A command that never answers. */
export const hang = () => new Promise<never>(() => {});

/** A BoundedRedis on a FakeClient (300 ms time limit, 1 s back-off), with its events recorded. */
export function setup(options = {}) {
  const client = new FakeClient();
  const b = new BoundedRedis(client, { timeoutMs: 300, backoffMs: 1000, ...options });
  const degraded: DegradedEvent[] = [];
  const restored: RestoredEvent[] = [];
  b.onDegraded((e) => degraded.push(e));
  b.onRestored((e) => restored.push(e));
  return { client, b, degraded, restored };
}

/** `'resolved'`, or the `code` of the error the promise rejects with. */
export async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    return (err as { code?: string }).code;
  }
}
