import {
  booleanOption,
  CORE_ERROR_CODES,
  checkOptions,
  enumOption,
  freezeOptions,
  functionOption,
  integerOption,
  numberOption,
  OptionRangeError,
  OptionTypeError,
  stringOption,
} from '../../src/index';

/** Looks like patient data: must never appear in an error message. */
const SECRET = '123-45-6789';

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
}

describe('checkOptions', () => {
  const known = ['points', 'durationMs', 'redis'];
  it('returns a copy without undefined values', () => {
    expect(checkOptions('rateLimit', { points: 5, redis: undefined }, known)).toEqual({
      points: 5,
    });
    expect(checkOptions('rateLimit', undefined, known)).toEqual({});
  });
  it('names an unknown option and suggests a near one', () => {
    const err = thrown(() => checkOptions('rateLimit', { durationMS: 1000 } as object, known));
    expect(err).toBeInstanceOf(TypeError);
    expect(err).toBeInstanceOf(OptionTypeError);
    expect((err as OptionTypeError).code).toBe(CORE_ERROR_CODES.OPTION_UNKNOWN);
    expect((err as OptionTypeError).option).toBe('durationMS');
    expect(err.message).toBe('rateLimit: unknown option "durationMS" (did you mean "durationMs"?)');
  });
  it('does not suggest a far one', () => {
    expect(thrown(() => checkOptions('rateLimit', { zzz: 1 } as object, known)).message).toBe(
      'rateLimit: unknown option "zzz"',
    );
  });
  it('never echoes a key that does not look like an option name', () => {
    const err = thrown(() => checkOptions('rateLimit', { [SECRET]: 1 } as object, known));
    expect(err.message).toBe('rateLimit: unknown option');
    expect(err.message).not.toContain(SECRET);
  });
  it.each([null, 'x', 5, []])('refuses %p as options', (v) => {
    const err = thrown(() => checkOptions('rateLimit', v as never, known));
    expect(err).toBeInstanceOf(TypeError);
    expect(err.message).toBe('rateLimit: options must be an object');
  });
});

describe('integerOption', () => {
  it('returns the value or the default', () => {
    expect(integerOption('f', 'points', 7, { min: 1 })).toBe(7);
    expect(integerOption('f', 'points', undefined, { default: 100, min: 1 })).toBe(100);
  });
  it('throws TypeError for a non-number, naming the option but not the value', () => {
    const err = thrown(() => integerOption('f', 'points', SECRET, { min: 1 }));
    expect(err).toBeInstanceOf(TypeError);
    expect((err as OptionTypeError).code).toBe(CORE_ERROR_CODES.OPTION_TYPE);
    expect(err.message).toBe('f: points must be an integer >= 1');
    expect(err.message).not.toContain(SECRET);
  });
  it.each([0, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 11])('throws RangeError for %p', (v) => {
    const err = thrown(() => integerOption('f', 'points', v, { min: 1, max: 10 }));
    expect(err).toBeInstanceOf(RangeError);
    expect(err).toBeInstanceOf(OptionRangeError);
    expect((err as OptionRangeError).option).toBe('points');
    expect(err.message).toBe('f: points must be an integer from 1 to 10');
  });
  it('throws when neither a value nor a default is given', () => {
    expect(() => integerOption('f', 'points', undefined)).toThrow(TypeError);
  });
});

describe('numberOption', () => {
  it('accepts fractions within range and rejects outside', () => {
    expect(numberOption('f', 'factor', 1.5, { min: 1 })).toBe(1.5);
    expect(() => numberOption('f', 'factor', 0.5, { min: 1 })).toThrow(RangeError);
    expect(() => numberOption('f', 'factor', Number.NaN)).toThrow(RangeError);
    expect(() => numberOption('f', 'factor', '2')).toThrow(TypeError);
  });
});

describe('enumOption', () => {
  const modes = ['insurance', 'allow', 'deny'] as const;
  it('returns a member or the fallback', () => {
    expect(enumOption('f', 'onStoreError', 'deny', modes)).toBe('deny');
    expect(enumOption('f', 'onStoreError', undefined, modes, 'insurance')).toBe('insurance');
  });
  it('throws RangeError for a string outside the set, without echoing it', () => {
    const err = thrown(() => enumOption('f', 'onStoreError', SECRET, modes));
    expect(err).toBeInstanceOf(RangeError);
    expect(err.message).toBe("f: onStoreError must be one of 'insurance', 'allow', 'deny'");
  });
  it('throws TypeError for a non-string', () => {
    expect(() => enumOption('f', 'onStoreError', 1, modes)).toThrow(TypeError);
  });
});

describe('other option checks', () => {
  it('booleanOption', () => {
    expect(booleanOption('f', 'headers', undefined, true)).toBe(true);
    expect(() => booleanOption('f', 'headers', 'yes')).toThrow('f: headers must be a boolean');
  });
  it('functionOption', () => {
    const fn = () => 1;
    expect(functionOption('f', 'keyBy', fn)).toBe(fn);
    expect(functionOption('f', 'keyBy', undefined)).toBeUndefined();
    expect(() => functionOption('f', 'keyBy', 5)).toThrow('f: keyBy must be a function');
  });
  it('stringOption', () => {
    expect(stringOption('f', 'keyPrefix', undefined, { default: 'resil:' })).toBe('resil:');
    expect(() => stringOption('f', 'name', '', { minLength: 1, maxLength: 200 })).toThrow(
      RangeError,
    );
    const err = thrown(() =>
      stringOption('f', 'policyName', SECRET, {
        pattern: /^[a-z]+$/,
        describe: 'a lower-case token',
      }),
    );
    expect(err).toBeInstanceOf(RangeError);
    expect(err.message).toBe('f: policyName must be a lower-case token');
    expect(() => stringOption('f', 'name', 3)).toThrow(TypeError);
  });
  it('freezeOptions returns a frozen copy', () => {
    const src = { a: 1 };
    const frozen = freezeOptions(src);
    expect(Object.isFrozen(frozen)).toBe(true);
    expect(frozen).not.toBe(src);
  });
});
