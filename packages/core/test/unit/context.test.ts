import {
  type CallContext,
  callContext,
  compose,
  deriveContext,
  isCallContext,
  splitContext,
  withCallOptions,
} from '../../src';

describe('call context (issue #19)', () => {
  it('is branded: a plain object that looks alike is not a context', () => {
    const c = callContext();
    expect(isCallContext(c)).toBe(true);
    expect(isCallContext({ signal: c.signal, attempt: 1, deadline: undefined })).toBe(false);
    expect(isCallContext(null)).toBe(false);
    expect(Object.isFrozen(c)).toBe(true);
    expect(c).toMatchObject({ attempt: 1, deadline: undefined });
    expect(c.signal.aborted).toBe(false);
  });

  it("follows the caller's signal, and the earlier of deadline and timeoutMs", async () => {
    const ac = new AbortController();
    const c = callContext({ signal: ac.signal, timeoutMs: 60_000, deadline: 1_000_500 }, 1_000_000);
    expect(c.deadline).toBe(1_000_500);
    expect(callContext({ timeoutMs: 100, deadline: 1_000_500 }, 1_000_000).deadline).toBe(
      1_000_100,
    );
    ac.abort(new Error('caller'));
    expect(c.signal.aborted).toBe(true);
    const soon = callContext({ timeoutMs: 5 });
    await new Promise((resolve) => soon.signal.addEventListener('abort', resolve));
    expect(soon.signal.aborted).toBe(true);
  });

  it('refuses bad options naming them, without echoing the value', () => {
    expect(() => callContext({ timeoutMs: -1 })).toThrow(RangeError);
    expect(() => callContext({ timeoutMs: Number.NaN })).toThrow(/timeoutMs/);
    expect(() => callContext({ deadline: Number.POSITIVE_INFINITY })).toThrow(/deadline/);
    expect(() => callContext({ signal: {} as AbortSignal })).toThrow(TypeError);
  });

  it('splitContext takes a trailing context off, and only a context', () => {
    const c = callContext();
    expect(splitContext([1, 2, c])).toEqual({ args: [1, 2], context: c });
    expect(splitContext([1, { attempt: 1 }])).toEqual({
      args: [1, { attempt: 1 }],
      context: undefined,
    });
    expect(splitContext([])).toEqual({ args: [], context: undefined });
  });

  it('deriveContext keeps what it is not told to change', () => {
    const parent = callContext({ deadline: Date.now() + 10_000 });
    const child = deriveContext(parent, { attempt: 3 });
    expect(child).toMatchObject({ attempt: 3, deadline: parent.deadline, signal: parent.signal });
    expect(deriveContext(parent, { deadline: undefined }).deadline).toBeUndefined();
    expect(deriveContext(undefined, {}).attempt).toBe(1);
  });

  it('compose applies wrappers outermost first; withCallOptions passes one context last', async () => {
    const order: string[] = [];
    type Fn = (...args: unknown[]) => Promise<unknown>;
    const tag =
      (name: string) =>
      (fn: Fn): Fn =>
      async (...args) => {
        order.push(`${name}>`);
        const r = await fn(...args);
        order.push(`<${name}`);
        return r;
      };
    const seen: unknown[][] = [];
    const f = compose<Fn>(
      tag('retry'),
      tag('breaker'),
      tag('timeout'),
    )(async (...args) => {
      seen.push(args);
      return 'ok';
    });
    const ac = new AbortController();
    await expect(withCallOptions(f, { signal: ac.signal })('a')).resolves.toBe('ok');
    expect(order).toEqual(['retry>', 'breaker>', 'timeout>', '<timeout', '<breaker', '<retry']);
    const [args] = seen as [unknown[]];
    expect(args[0]).toBe('a');
    expect(isCallContext(args[1])).toBe(true);
    expect((args[1] as CallContext).signal.aborted).toBe(false);
    ac.abort();
    expect((args[1] as CallContext).signal.aborted).toBe(true);
    expect(() => compose<Fn>(tag('a'), 5 as never)).toThrow(/argument 2/);
  });
});
