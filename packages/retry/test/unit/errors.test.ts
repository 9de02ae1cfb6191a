import { ATTEMPTS, attemptsOf } from '../../src';
import { markAttempts } from '../../src/errors';

describe('attemptsOf / markAttempts', () => {
  it('stores the count under a global symbol, non-enumerable and writable', () => {
    const err = new Error('x');
    markAttempts(err, 2);
    expect(ATTEMPTS).toBe(Symbol.for('@resil/retry.attempts'));
    expect(attemptsOf(err)).toBe(2);
    const d = Object.getOwnPropertyDescriptor(err, ATTEMPTS);
    expect(d).toEqual({ value: 2, enumerable: false, configurable: true, writable: true });
    markAttempts(err, 3);
    expect(attemptsOf(err)).toBe(3);
  });

  it('marks functions too, skips primitives, and leaves a frozen error as it is', () => {
    const fn = Object.assign(() => undefined, {});
    markAttempts(fn, 1);
    expect((fn as unknown as Record<symbol, unknown>)[ATTEMPTS]).toBe(1);
    expect(attemptsOf(fn)).toBe(1); // a thrown function is read back like an error
    for (const primitive of ['x', 1, true, null, undefined, Symbol('s'), 1n]) {
      expect(() => markAttempts(primitive, 1)).not.toThrow();
      expect(attemptsOf(primitive)).toBeUndefined();
    }
    const frozen = Object.freeze(new Error('f'));
    expect(() => markAttempts(frozen, 1)).not.toThrow();
    expect(attemptsOf(frozen)).toBeUndefined();
  });

  it('reads undefined from anything unmarked, primitives or a non-number mark', () => {
    expect(attemptsOf(new Error('x'))).toBeUndefined();
    expect(attemptsOf(null)).toBeUndefined();
    expect(attemptsOf(undefined)).toBeUndefined();
    expect(attemptsOf(3)).toBeUndefined();
    expect(attemptsOf({ [ATTEMPTS]: '3' })).toBeUndefined();
    expect(attemptsOf({ [ATTEMPTS]: 0 })).toBe(0);
  });
});
