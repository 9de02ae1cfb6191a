// The `.breaker` handle and circuitBreaker()'s option errors, in one process (memory): a listener
// added to a closed handle, the listener check, and the option each error names, with its message.
import { circuitBreaker } from '../../src';
import { closeAfterEach } from '../helpers/track';

let seq = 0;
const uniqueName = () => `handle.${process.pid}.${++seq}`;
const track = closeAfterEach();

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('the .breaker handle', () => {
  it('a listener added through a closed handle is never called, while the circuit lives on for another handle of the name', async () => {
    const n = uniqueName();
    const f = track(circuitBreaker({ name: n, logger: false })(async () => 'f'));
    const g = track(circuitBreaker({ name: n, logger: false })(async () => 'g'));
    await g.breaker.close();
    const heard: unknown[] = [];
    const sub = g.breaker.onStateChange((e) => heard.push(e));
    sub.dispose();
    g.breaker.onStateChange((e) => heard.push(e));
    await f.breaker.open();
    expect(f.breaker.state).toBe('open');
    expect(heard).toEqual([]);
  });

  it('a listener that is not a function is refused with a TypeError, also on a closed handle', async () => {
    const f = track(circuitBreaker({ name: uniqueName(), logger: false })(async () => 'f'));
    const on = f.breaker.onStateChange as (l: unknown) => unknown;
    const e = thrown(() => on(5));
    expect(e).toBeInstanceOf(TypeError);
    expect((e as Error).message).toBe('breaker: listener must be a function');
    await f.breaker.close();
    expect(thrown(() => on('x'))).toBeInstanceOf(TypeError);
  });
});

describe('circuitBreaker(): the option an error names', () => {
  it.each([
    [{ flushEvery: 0 }, 'flushEvery', /^circuitBreaker: flushEvery\b/],
    [{ flushIntervalMs: 0 }, 'flushIntervalMs', /^circuitBreaker: flushIntervalMs\b/],
    [{ workerId: '' }, 'workerId', /^circuitBreaker: workerId\b/],
    [
      { keyPrefix: 'app{1}:' },
      'keyPrefix',
      /^circuitBreaker: keyPrefix must be a string without \{ or \} \(they would move the hash tag of the keys\)$/,
    ],
    [
      { name: 'a}b', redis: 'redis://127.0.0.1:1' },
      'name',
      /^circuitBreaker: name must not contain \} with redis \(it would end the hash tag of its key\)$/,
    ],
  ])('%j: a RangeError naming %s', (extra, option, message) => {
    const e = thrown(() => circuitBreaker({ name: uniqueName(), ...extra }));
    expect(e).toBeInstanceOf(RangeError);
    expect(e).toMatchObject({ option });
    expect((e as Error).message).toMatch(message);
  });

  it.each([
    ['an empty URL', ''],
    ['an object that is no client', {}],
    ['a client without duplicate()', { status: 'ready', sendCommand: () => {} }],
  ])('redis as %s: a TypeError with code RESIL_CORE_OPTION_TYPE naming redis', (_, redis) => {
    const e = thrown(() => circuitBreaker({ name: uniqueName(), redis: redis as never }));
    expect(e).toBeInstanceOf(TypeError);
    expect(e).toMatchObject({
      code: 'RESIL_CORE_OPTION_TYPE',
      option: 'redis',
      message: 'circuitBreaker: redis must be an ioredis or node-redis client or cluster, or a URL',
    });
  });
});
