import { EventEmitter, noopDisposable, once, toDisposable } from '../../src/index';

describe('EventEmitter', () => {
  it('delivers values to subscribers in order until disposed', () => {
    const e = new EventEmitter<number>();
    const seen: string[] = [];
    const a = e.event((v) => seen.push(`a${v}`));
    e.event((v) => seen.push(`b${v}`));
    e.emit(1);
    a.dispose();
    e.emit(2);
    expect(seen).toEqual(['a1', 'b1', 'b2']);
    expect(e.size).toBe(1);
  });
  it('unsubscribes through Symbol.dispose (using)', () => {
    const e = new EventEmitter<number>();
    const seen: number[] = [];
    {
      using _sub = e.event((v) => seen.push(v));
      e.emit(1);
    }
    e.emit(2);
    expect(seen).toEqual([1]);
  });
  it('a throwing listener changes nothing for the others and is reported', () => {
    const errors: unknown[] = [];
    const e = new EventEmitter<number>({ onListenerError: (err) => errors.push(err) });
    const seen: number[] = [];
    const boom = new Error('listener bug');
    e.event(() => {
      throw boom;
    });
    e.event((v) => seen.push(v));
    expect(() => e.emit(1)).not.toThrow();
    expect(seen).toEqual([1]);
    expect(errors).toEqual([boom]);
  });
  it('a throwing error hook is contained too', () => {
    const e = new EventEmitter<number>({
      onListenerError: () => {
        throw new Error('hook bug');
      },
    });
    e.event(() => {
      throw new Error('listener bug');
    });
    expect(() => e.emit(1)).not.toThrow();
  });
  it('a listener that unsubscribes during emit does not skip the next one', () => {
    const e = new EventEmitter<number>();
    const seen: string[] = [];
    const a = e.event(() => {
      seen.push('a');
      a.dispose();
    });
    e.event(() => seen.push('b'));
    e.emit(1);
    e.emit(2);
    expect(seen).toEqual(['a', 'b', 'b']);
  });
  it('the same listener subscribed twice is called twice and disposed one at a time', () => {
    const e = new EventEmitter<number>();
    let n = 0;
    const l = () => n++;
    const s1 = e.event(l);
    e.event(l);
    e.emit(0);
    s1.dispose();
    s1.dispose();
    e.emit(0);
    expect(n).toBe(3);
  });
  it('clear removes every listener', () => {
    const e = new EventEmitter<number>();
    e.event(() => {});
    e.clear();
    expect(e.size).toBe(0);
  });
  it('refuses a non-function listener', () => {
    expect(() => new EventEmitter<number>().event(5 as never)).toThrow(TypeError);
  });
});

describe('once', () => {
  it('resolves with the next value and unsubscribes', async () => {
    const e = new EventEmitter<string>();
    const p = once(e.event);
    e.emit('x');
    e.emit('y');
    await expect(p).resolves.toBe('x');
    expect(e.size).toBe(0);
  });
  it('rejects on abort and unsubscribes', async () => {
    const e = new EventEmitter<string>();
    const ac = new AbortController();
    const p = once(e.event, ac.signal);
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    expect(e.size).toBe(0);
    await expect(once(e.event, ac.signal)).rejects.toThrow('stop');
  });
});

describe('toDisposable', () => {
  it('runs its function once', () => {
    let n = 0;
    const d = toDisposable(() => n++);
    d.dispose();
    d[Symbol.dispose]();
    expect(n).toBe(1);
    expect(() => noopDisposable.dispose()).not.toThrow();
  });
});
