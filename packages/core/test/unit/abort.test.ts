import { untilAborted } from '../../src/abort';

/** The listeners an AbortSignal holds, counted through add/removeEventListener. */
function countingSignal(controller: AbortController) {
  const s = controller.signal;
  let listeners = 0;
  const add = s.addEventListener.bind(s);
  const remove = s.removeEventListener.bind(s);
  s.addEventListener = ((...a: Parameters<typeof add>) => {
    listeners++;
    add(...a);
  }) as typeof s.addEventListener;
  s.removeEventListener = ((...a: Parameters<typeof remove>) => {
    listeners--;
    remove(...a);
  }) as typeof s.removeEventListener;
  return { signal: s, listeners: () => listeners };
}

describe('untilAborted', () => {
  it('without a signal settles as the pending value does (values and thenables)', async () => {
    await expect(untilAborted(Promise.resolve(7), undefined)).resolves.toBe(7);
    await expect(untilAborted(8, undefined)).resolves.toBe(8);
    await expect(untilAborted(Promise.reject(new Error('x')), undefined)).rejects.toThrow('x');
  });

  it('rejects with the reason as soon as the signal fires, before the pending value settles', async () => {
    const c = new AbortController();
    let settle!: (v: number) => void;
    const p = untilAborted(new Promise<number>((r) => (settle = r)), c.signal);
    const reason = new Error('caller gave up');
    c.abort(reason);
    await expect(p).rejects.toBe(reason);
    settle(1); // the late outcome is dropped
  });

  it('rejects at once when the signal has already fired', async () => {
    const c = new AbortController();
    const reason = new Error('already');
    c.abort(reason);
    await expect(untilAborted(new Promise<never>(() => undefined), c.signal)).rejects.toBe(reason);
  });

  it('passes the value and the rejection through, and removes its listener either way', async () => {
    const c = new AbortController();
    const s = countingSignal(c);
    await expect(untilAborted(Promise.resolve('ok'), s.signal)).resolves.toBe('ok');
    const err = new Error('failed');
    await expect(untilAborted(Promise.reject(err), s.signal)).rejects.toBe(err);
    for (let i = 0; i < 100; i++) await untilAborted(Promise.resolve(i), s.signal);
    expect(s.listeners()).toBe(0);
    c.abort(new Error('late'));
  });
});
