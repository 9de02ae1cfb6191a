// Exact outputs of createRedactor's option checks and of user rules that need a non-ASCII
// character, written against the survivors of the redactor part's mutation run (issue #23).
import { createRedactor, REDACTED, redact } from '../../src';

const CENSOR_ERROR = new TypeError("censor must be 'marker', 'last4', { hmacKey } or a function");

describe('createRedactor options, second round (mutation tests)', () => {
  it('censor: null, and an hmacKey that is neither a string nor a Buffer, are rejected with the option named', () => {
    // not the TypeError of reading a property of null: the option's own message
    expect(() => createRedactor({ censor: null as never })).toThrow(CENSOR_ERROR);
    // an array or an object with a length is not a key, whatever its length says
    expect(() => createRedactor({ censor: { hmacKey: ['k'] } as never })).toThrow(CENSOR_ERROR);
    expect(() => createRedactor({ censor: { hmacKey: { length: 3 } } as never })).toThrow(
      CENSOR_ERROR,
    );
    expect(() => createRedactor({ censor: 'bogus' as never })).toThrow(CENSOR_ERROR);
  });

  it("a rule of the user's whose needs is a non-ASCII character is tried on text that holds it", () => {
    const e = createRedactor({ patterns: [{ name: 'acc', source: 'é\\d{3}', needs: 'é' }] });
    expect(e.string('code é123 and e456')).toBe('code [REDACTED:acc] and e456');
    const c = createRedactor({
      patterns: [{ name: 'pad', source: '\u0080\\d{3}', needs: '\u0080' }],
    });
    expect(c.string('x\u0080123y')).toBe('x[REDACTED:pad]y');
    expect(c.string('x123y')).toBe('x123y');
  });

  it('without allow, no value a rule finds is exempt', () => {
    const r = createRedactor({ patterns: [{ name: 'phrase', source: 'Stryker was here' }] });
    expect(r.string('Stryker was here')).toBe('[REDACTED:phrase]');
  });

  it('a __proto__ field of the copy is a plain own field: enumerable, writable and configurable', () => {
    const out = redact(JSON.parse('{"__proto__": "x"}')) as object;
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')).toEqual({
      value: 'x',
      enumerable: true,
      writable: true,
      configurable: true,
    });
  });

  it('a null or absent name of a FHIR person stays as it is; a present one is redacted', () => {
    expect(redact({ resourceType: 'Patient', name: null, birthDate: undefined })).toEqual({
      resourceType: 'Patient',
      name: null,
      birthDate: undefined,
    });
    expect(redact({ resourceType: 'Patient', name: 'x' })).toEqual({
      resourceType: 'Patient',
      name: REDACTED,
    });
  });

  it('Sets, Maps and arrays of a subclass count one level each towards maxDepth', () => {
    const r = createRedactor({ maxDepth: 2 });
    expect(r.value(new Set([new Set([new Set([1])])]))).toEqual([['[Truncated]']]);
    expect(r.value(new Map([['a', new Map([['b', new Map([['c', 1]])]])]]))).toEqual({
      a: { b: '[Truncated]' },
    });
    class List<T> extends Array<T> {}
    expect(r.value(List.from([List.from([List.from([1])])]))).toEqual([['[Truncated]']]);
  });

  it("a Map's values are not a person's: a name field inside one is scanned, not redacted by its key", () => {
    expect(redact(new Map([['x', { name: 'kettle' }]]))).toEqual({ x: { name: 'kettle' } });
    expect(redact({ patient: { name: 'kettle' } })).toEqual({ patient: { name: REDACTED } });
  });
});
