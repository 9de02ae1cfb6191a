import { RetryBudget } from '../../src';

describe('RetryBudget', () => {
  it('has the documented defaults and starts with the floor (capped by maxTokens)', () => {
    const b = new RetryBudget({ clock: () => 0 });
    expect([b.ratio, b.minRetriesPerSecond, b.maxTokens]).toEqual([0.2, 1, 20]);
    expect(b.tokens).toBe(1);
    expect(new RetryBudget({ minRetriesPerSecond: 50, maxTokens: 5, clock: () => 0 }).tokens).toBe(
      5,
    );
    expect(new RetryBudget({ minRetriesPerSecond: 0, clock: () => 0 }).tokens).toBe(0);
  });

  it('each call deposits ratio, capped at maxTokens; each retry withdraws exactly one', () => {
    const b = new RetryBudget({ ratio: 0.5, minRetriesPerSecond: 0, maxTokens: 2, clock: () => 0 });
    b.deposit();
    expect(b.tokens).toBe(0.5);
    expect(b.tryWithdraw()).toBe(false);
    expect(b.tokens).toBe(0.5);
    b.deposit();
    expect(b.tokens).toBe(1);
    expect(b.tryWithdraw()).toBe(true); // exactly one token is enough
    expect(b.tokens).toBe(0);
    for (let i = 0; i < 10; i++) b.deposit();
    expect(b.tokens).toBe(2);
  });

  it('refills minRetriesPerSecond per second of elapsed time, and not when the clock goes back', () => {
    let now = 10_000;
    const b = new RetryBudget({
      ratio: 0,
      minRetriesPerSecond: 4,
      maxTokens: 100,
      clock: () => now,
    });
    expect(b.tokens).toBe(4);
    now += 250;
    expect(b.tokens).toBe(5);
    now -= 5_000; // a clock step backwards adds nothing
    expect(b.tokens).toBe(5);
    now += 500; // measured from the step, not from before it
    expect(b.tokens).toBe(7);
  });

  it('is exhausted from a refused withdrawal until the next one succeeds', () => {
    let now = 0;
    const b = new RetryBudget({ ratio: 0, minRetriesPerSecond: 1, maxTokens: 1, clock: () => now });
    expect(b.exhausted).toBe(false);
    expect(b.tryWithdraw()).toBe(true);
    expect(b.exhausted).toBe(false);
    expect(b.tryWithdraw()).toBe(false);
    expect(b.exhausted).toBe(true);
    b.deposit(); // a deposit alone does not change it
    expect(b.exhausted).toBe(true);
    now += 1000;
    expect(b.exhausted).toBe(true);
    expect(b.tryWithdraw()).toBe(true);
    expect(b.exhausted).toBe(false);
  });

  it('accepts the bounds of each setting', () => {
    expect(new RetryBudget({ ratio: 0 }).ratio).toBe(0);
    expect(new RetryBudget({ ratio: 10 }).ratio).toBe(10);
    expect(new RetryBudget({ minRetriesPerSecond: 0 }).minRetriesPerSecond).toBe(0);
    expect(new RetryBudget({ maxTokens: 1 }).maxTokens).toBe(1);
  });

  const R = RangeError;
  const T = TypeError;
  it.each([
    [{ ratio: -0.01 }, R, 'RetryBudget: ratio must be a finite number from 0 to 10'],
    [{ ratio: 10.01 }, R, 'RetryBudget: ratio must be a finite number from 0 to 10'],
    [{ ratio: Number.NaN }, R, 'RetryBudget: ratio must be a finite number from 0 to 10'],
    [{ ratio: '0.2' }, T, 'RetryBudget: ratio must be a finite number from 0 to 10'],
    [
      { minRetriesPerSecond: -1 },
      R,
      'RetryBudget: minRetriesPerSecond must be a finite number >= 0',
    ],
    [
      { minRetriesPerSecond: Number.NaN },
      R,
      'RetryBudget: minRetriesPerSecond must be a finite number >= 0',
    ],
    [
      { minRetriesPerSecond: '1' },
      T,
      'RetryBudget: minRetriesPerSecond must be a finite number >= 0',
    ],
    [{ maxTokens: 0.99 }, R, 'RetryBudget: maxTokens must be a finite number >= 1'],
    [{ maxTokens: Number.NaN }, R, 'RetryBudget: maxTokens must be a finite number >= 1'],
    [{ maxTokens: '20' }, T, 'RetryBudget: maxTokens must be a finite number >= 1'],
  ])('refuses %j with a %p naming the option (core option check)', (options, type, message) => {
    let error: unknown;
    try {
      new RetryBudget(options as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject({ message, option: Object.keys(options)[0] });
    expect((error as { code: string }).code).toMatch(/^RESIL_CORE_OPTION_(RANGE|TYPE)$/);
  });

  it('refuses an unknown option, naming it', () => {
    expect(() => new RetryBudget({ ration: 0.1 } as never)).toThrow(
      new TypeError('RetryBudget: unknown option "ration" (did you mean "ratio"?)'),
    );
  });

  it('refuses a clock that is not a function with a TypeError', () => {
    expect(() => new RetryBudget({ clock: 5 as never })).toThrow(
      new TypeError('RetryBudget: clock must be a function'),
    );
  });
});
