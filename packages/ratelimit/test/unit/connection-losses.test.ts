import { EventEmitter } from 'node:events';
import { connectionLosses } from '../../src/connection-losses';

/** A client of each kind, by the shape core tells them by, over a plain EventEmitter. */
function fake(kind: 'ioredis' | 'node-redis' | 'node-redis-cluster') {
  const e = new EventEmitter();
  const send = () => Promise.resolve();
  if (kind === 'ioredis')
    return Object.assign(e, { status: 'ready', evalsha: send, disconnect() {}, quit: send });
  const client = Object.assign(e, { isOpen: true, sendCommand: send });
  return kind === 'node-redis'
    ? Object.assign(client, { isReady: true })
    : Object.assign(client, { masters: [], nodeClient: () => undefined });
}

describe('connectionLosses: the events that count as a lost connection, per client kind', () => {
  it.each([
    ['ioredis', ['close', '-node', 'node error'], ['error', 'reconnecting', 'end']],
    ['node-redis', ['reconnecting'], ['error', 'end', 'ready', 'node-error']],
    [
      'node-redis-cluster',
      ['node-error', 'node-reconnecting'],
      ['error', 'disconnect', 'reconnecting'],
    ],
  ] as const)('%s: counts %j, not %j', (kind, counted, ignored) => {
    const client = fake(kind);
    const losses = connectionLosses(client as never);
    expect(connectionLosses(client as never)).toBe(losses); // one entry per client
    for (const event of ignored) if (event !== 'error') client.emit(event);
    expect(losses.count).toBe(0);
    for (const event of counted) client.emit(event, new Error('x'));
    expect(losses.count).toBe(counted.length);
    // no 'error' listener of its own: the application's unhandled errors stay unhandled
    expect(client.listenerCount('error')).toBe(0);
  });
});
