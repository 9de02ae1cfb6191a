import { startHarness } from '../helpers';

describe('DemoApp lifecycle: close()', () => {
  it('releases every layer once (breakers, limiters, middleware), like the packages’ close()', async () => {
    const h = await startHarness();
    const { app } = h;
    const first = app.close();
    expect(app.close()).toBe(first);
    expect(app[Symbol.asyncDispose]()).toBe(first);
    await first;
    expect(app.hospitalApi.breakers.map((b) => b.closed)).toEqual([true, true, true, true]);
    await h.registry.close();
  });
});
