// Exact outputs of createRedactor's options and of the walk over every kind of value, written
// against the survivors of the mutation runs (stryker.config.mjs).
import { createRedactor, REDACTED, redact } from '../../src';

describe('createRedactor options (mutation tests)', () => {
  it("censor 'last4': the last four letters or digits of a value of eight or more, 'key' for a value found by its key", () => {
    const r = createRedactor({ censor: 'last4' });
    expect(r.string('ssn 123-45-6789 zip TX 77006')).toBe(
      'ssn [REDACTED:ssn…6789] zip [REDACTED:zip]',
    );
    expect(r.value({ ssn: '123-45-6789', pin: 1, zip: 1234567, zipCode: 12345678 })).toEqual({
      ssn: '[REDACTED:key…6789]',
      pin: 1,
      zip: REDACTED,
      zipCode: '[REDACTED:key…5678]',
    });
    // separators do not count: 7 letters and digits get the marker
    expect(r.value({ ssn: 'a-b-c-d-e-f-g' })).toEqual({ ssn: REDACTED });
    expect(r.value({ ssn: 'a-b-c-d-e-f-g-h' })).toEqual({ ssn: '[REDACTED:key…efgh]' });
  });

  it('censor { hmacKey }: a string or a Buffer key give the same 16 hex digits; the kind, or "redacted" by key', () => {
    const s = createRedactor({ censor: { hmacKey: 'k' } });
    const b = createRedactor({ censor: { hmacKey: Buffer.from('k') } });
    expect(s.string('ssn 123-45-6789')).toBe('ssn [ssn:8dabe59758ffe9ca]');
    expect(b.string('ssn 123-45-6789')).toBe('ssn [ssn:8dabe59758ffe9ca]');
    expect(s.value({ ssn: '123-45-6789' })).toEqual({ ssn: '[redacted:8dabe59758ffe9ca]' });
    expect(() => createRedactor({ censor: { hmacKey: Buffer.alloc(0) } })).toThrow(
      new TypeError("censor must be 'marker', 'last4', { hmacKey } or a function"),
    );
    expect(() => createRedactor({ censor: { hmacKey: 5 } as never })).toThrow(TypeError);
    expect(() => createRedactor({ censor: null as never })).toThrow(TypeError);
    expect(createRedactor({ censor: 'marker' }).string('ssn 123-45-6789')).toBe(
      'ssn [REDACTED:ssn]',
    );
  });

  it('censor function: its result as text, for values found in text and by key', () => {
    const calls: Array<[string, string]> = [];
    const r = createRedactor({
      censor: (kind, value) => {
        calls.push([kind, value]);
        return 42 as never;
      },
    });
    expect(r.value({ a: 'ssn 123-45-6789', ssn: 5, dob: 7n, email: { x: 1 } })).toEqual({
      a: 'ssn 42',
      ssn: '42',
      dob: '42',
      email: REDACTED,
    });
    expect(calls).toEqual([
      ['ssn', '123-45-6789'],
      ['', '5'],
      ['', '7'],
    ]);
  });

  it('allow: exact strings and regular expressions (their g and y flags dropped, so every call agrees)', () => {
    const r = createRedactor({ allow: [/^123-45-6789$/gy, '987-65-4321'] });
    expect([
      r.string('ssn 123-45-6789'),
      r.string('ssn 123-45-6789'),
      r.string('ssn 987-65-4321'),
      r.string('ssn 123-45-6780'),
    ]).toEqual(['ssn 123-45-6789', 'ssn 123-45-6789', 'ssn 987-65-4321', 'ssn [REDACTED:ssn]']);
    expect(createRedactor({ allow: [/6789/] }).string('ssn 123-45-6789')).toBe('ssn 123-45-6789');
    expect(
      createRedactor({ allow: ['123-45-6789'] }).string('ssn 123-45-6789 and 111-22-3333'),
    ).toBe('ssn 123-45-6789 and [REDACTED:ssn]');
    expect(createRedactor({ allow: [] }).string('ssn 123-45-6789')).toBe('ssn [REDACTED:ssn]');
    expect(() => createRedactor({ allow: [null as never] })).toThrow(
      new TypeError('allow must hold strings or regular expressions'),
    );
  });

  it('maxDepth: a positive integer; values at that depth become [Truncated]', () => {
    const r = createRedactor({ maxDepth: 2 });
    expect(r.value({ a: { b: { c: 1 } }, l: [[1]], s: 'x' })).toEqual({
      a: { b: '[Truncated]' },
      l: ['[Truncated]'],
      s: 'x',
    });
    expect(createRedactor({ maxDepth: 1 }).value({ a: { b: 1 } })).toEqual({ a: '[Truncated]' });
    expect(createRedactor({ maxDepth: 1 }).value({ a: 1 })).toEqual({ a: 1 });
    for (const bad of [0, -1, 1.5, Number.NaN, '3'])
      expect(() => createRedactor({ maxDepth: bad as never })).toThrow(
        new RangeError('maxDepth must be a positive integer'),
      );
    let deep: unknown = 'x';
    for (let i = 0; i < 13; i++) deep = { d: deep };
    expect(JSON.stringify(redact(deep))).toContain('[Truncated]');
    deep = 'x';
    for (let i = 0; i < 12; i++) deep = { d: deep };
    expect(JSON.stringify(redact(deep))).not.toContain('[Truncated]');
  });

  it('maxStringLength: an integer of at least 64; the rest is dropped, cut before a word that crosses the limit', () => {
    const r = createRedactor({ maxStringLength: 64 });
    expect(r.string(`${'a'.repeat(60)} bcdefgh ${'x'.repeat(10)}`)).toBe(
      `${'a'.repeat(60)} …[Truncated 18 chars]`,
    );
    expect(r.string(`${'word '.repeat(20)}`)).toBe(`${'word '.repeat(12)}…[Truncated 40 chars]`);
    expect(r.string('b'.repeat(64))).toBe('b'.repeat(64));
    expect(r.string(`${'b'.repeat(63)} c`)).toBe(`${'b'.repeat(63)} …[Truncated 1 chars]`);
    // a word longer than 256 characters is cut at most 256 characters before the limit
    const wide = createRedactor({ maxStringLength: 300 });
    expect(wide.string('a'.repeat(400))).toBe(`${'a'.repeat(44)}…[Truncated 356 chars]`);
    expect(wide.string(`ssn 123-45-6789 ${'a'.repeat(400)}`)).toBe(
      `ssn [REDACTED:ssn] ${'a'.repeat(28)}…[Truncated 372 chars]`,
    );
    for (const bad of [63, 64.5, Number.POSITIVE_INFINITY])
      expect(() => createRedactor({ maxStringLength: bad })).toThrow(
        new RangeError('maxStringLength must be an integer of at least 64'),
      );
    expect(redact('z'.repeat(32_768))).toBe('z'.repeat(32_768));
  });

  it('keys: names compared like the defaults, regular expressions on the raw key', () => {
    const r = createRedactor({ keys: ['Ward-Name', /^x_/i] });
    expect(r.value({ wardName: 1, WARD_NAME: 'a', X_a: 2, y_x_: 3, y: 3 })).toEqual({
      wardName: REDACTED,
      WARD_NAME: REDACTED,
      X_a: REDACTED,
      y_x_: 3,
      y: 3,
    });
    expect(r.sensitiveKey('ward name')).toBe(true);
    expect(r.sensitiveKey('ward')).toBe(false);
    expect(r.sensitiveKey('x_1')).toBe(true);
    expect(r.sensitiveKey('patientSsn')).toBe(true);
    expect(r.sensitiveKey('ssnpatient')).toBe(false);
    expect(() => createRedactor({ keys: [null as never] })).toThrow(
      new TypeError('keys must hold strings or regular expressions'),
    );
  });

  it('patterns: each rule its group even after rules with groups of their own; a rule whose check says no keeps its match', () => {
    const r = createRedactor({
      patterns: [
        { name: 'one', source: '(a)(b)c' },
        { name: 'two', source: 'x(y)z' },
        { name: 'c', source: 'k\\d', check: (m) => m === 'k1' },
      ],
    });
    expect(r.string('abc xyz k1 k2')).toBe('[REDACTED:one] [REDACTED:two] [REDACTED:c] k2');
    expect(createRedactor({ patterns: [{ name: 'z', source: 'q*' }] }).string('aqqb')).toBe(
      '[REDACTED:z]a[REDACTED:z][REDACTED:z]b[REDACTED:z]',
    );
    expect(
      createRedactor({ patterns: [{ name: 'br', source: '[\\]^\\\\-]x', needs: ']^\\-' }] }).string(
        'a]x b^x c\\x d-x ex',
      ),
    ).toBe('a[REDACTED:br] b[REDACTED:br] c[REDACTED:br] d[REDACTED:br] ex');
    // with a rule of the user's, lower-case words are scanned too
    expect(
      createRedactor({ patterns: [{ name: 'w', source: 'secretword' }] }).string('a secretword'),
    ).toBe('a [REDACTED:w]');
    const bad = new TypeError('patterns must be { name: string, source: string, check?, needs? }');
    for (const p of [
      null,
      { name: 1, source: 'x' },
      { name: 'x' },
      { name: 'x', source: 'x', needs: 5 },
      { name: 'x', source: 'x', needs: '' },
    ])
      expect(() => createRedactor({ patterns: [p as never] })).toThrow(bad);
    expect(() =>
      createRedactor({ patterns: [{ name: 'x', source: 'x', needs: 'x' }] }),
    ).not.toThrow();
  });

  it("a rule of the user's that shares the digits family's needs is tried whatever the built-in gates say", () => {
    const r = createRedactor({ patterns: [{ name: 'z', source: 'zz\\d', needs: '0123456789' }] });
    expect(r.string('zz1')).toBe('[REDACTED:z]');
  });

  it('JSON inside text is walked from depth 1: its twelfth level is [Truncated]', () => {
    const nest = (n: number, leaf: unknown) => {
      let v = leaf;
      for (let i = 0; i < n; i++) v = { d: v };
      return v;
    };
    expect(redact(`x ${JSON.stringify(nest(11, 'v'))}`)).toBe(`x ${JSON.stringify(nest(11, 'v'))}`);
    expect(redact(`x ${JSON.stringify(nest(12, 'v'))}`)).toBe(
      `x ${JSON.stringify(nest(11, '[Truncated]'))}`,
    );
  });

  it('stacks: false drops Error stacks; by default they are kept, redacted, on one line', () => {
    const e = new Error('x');
    e.stack = 'Error: x\n    at ssn 123-45-6789';
    expect(createRedactor({ stacks: false }).value(e)).toEqual({ name: 'Error', message: 'x' });
    expect(createRedactor().value(e)).toEqual({
      name: 'Error',
      message: 'x',
      stack: 'Error: x\\n    at ssn [REDACTED:ssn]',
    });
  });
});

describe('strings (mutation tests)', () => {
  it('a string starting with PHI: is replaced whole; PHI: elsewhere is not', () => {
    expect(redact('PHI: x')).toBe('[REDACTED:phi]');
    expect(redact('a PHI: x')).toBe('a PHI: x');
  });

  it('drops the private-use characters that delimit placeholders, and neutralises control characters', () => {
    expect(redact('a\ue000b\ue001c')).toBe('abc');
    expect(redact('a\ue001b')).toBe('ab');
    expect(redact('a\rb\nc\u2028d\u2029e\u0000f\u0007g\u007fh\u001bi\tj')).toBe(
      'a\\rb\\nc\\nd\\nefghi\tj',
    );
  });

  it('JSON inside text: a document is parsed, redacted and written compact; text around it scanned; broken JSON scanned as text', () => {
    expect(redact('failed: [ "a@b.org", 1]')).toBe('failed: ["[REDACTED:email]",1]');
    expect(redact('failed: {"a": x} ssn 123-45-6789')).toBe('failed: {"a": x} ssn [REDACTED:ssn]');
    expect(redact('pre ssn 123-45-6789 {"ssn":"1","n":"x@y.org"} post 123-45-6789')).toBe(
      'pre ssn [REDACTED:ssn] {"ssn":"[REDACTED]","n":"[REDACTED:email]"} post [REDACTED:ssn]',
    );
    expect(redact('got {"ok": true, "n": 1}')).toBe('got {"ok":true,"n":1}');
    expect(redact('x ] y [ "a"')).toBe('x ] y [ "a"');
  });

  it('a clean short string is remembered; one with a finding never is', () => {
    const r = createRedactor();
    for (let i = 0; i < 2; i++) {
      expect(r.string('Route GET /x')).toBe('Route GET /x');
      expect(r.string('ssn 123-45-6789')).toBe('ssn [REDACTED:ssn]');
    }
  });

  it('more than 6,144 marks in one string: the rest are written as plain markers', () => {
    const r = createRedactor({
      patterns: [{ name: 'q', source: 'q', needs: 'q' }],
      censor: (kind) => `<${kind}>`,
    });
    const out = r.string('q'.repeat(6200));
    expect(out).toBe(`${'<q>'.repeat(6144)}${'[REDACTED:q]'.repeat(56)}`);
  });
});

describe('the walk over values (mutation tests)', () => {
  it('values under sensitive keys: strings, numbers and bigints censored, anything else the marker, null and undefined kept', () => {
    expect(
      redact({ ssn: true, dob: 10n, email: null, phone: undefined, token: Symbol('s'), pan: 4 }),
    ).toEqual({
      ssn: REDACTED,
      dob: REDACTED,
      email: null,
      phone: undefined,
      token: REDACTED,
      pan: REDACTED,
    });
    expect(createRedactor().value('123', 'ssn')).toBe(REDACTED);
    expect(createRedactor().value(null, 'ssn')).toBeNull();
    expect(createRedactor().value(undefined, 'ssn')).toBeUndefined();
    expect(createRedactor().value('x', 'ward')).toBe('x');
  });

  it('every kind of value', () => {
    expect(
      redact({
        s: Symbol('x'),
        n: null,
        u: undefined,
        b: false,
        num: 1.5,
        d: new Date(Number.NaN),
        ok: new Date(0),
        ab: new ArrayBuffer(3),
        u8: new Uint8Array(5),
        view: new DataView(new ArrayBuffer(2)),
        buf: Buffer.from('abcd'),
        r: /ssn 123-45-6789/g,
        m: new Map<unknown, unknown>([
          [1, 'a'],
          [{}, 'b'],
          ['ssn', 'c'],
          ['a@b.org', 'd'],
        ]),
        set: new Set(['a@b.org', 1]),
        big: 123456789n,
        f: () => 1,
        list: ['a@b.org', 2, ['x@y.org']],
      }),
    ).toEqual({
      s: '[Symbol]',
      n: null,
      u: undefined,
      b: false,
      num: 1.5,
      d: 'Invalid Date',
      ok: '1970-01-01T00:00:00.000Z',
      ab: '[Binary 3 bytes]',
      u8: '[Binary 5 bytes]',
      view: '[Binary 2 bytes]',
      buf: '[Binary 4 bytes]',
      r: '/ssn [REDACTED:ssn]/g',
      m: { '1': 'a', '[object Object]': 'b', ssn: REDACTED, '[REDACTED:email]': 'd' },
      set: ['[REDACTED:email]', 1],
      big: '123456789',
      f: '[Function]',
      list: ['[REDACTED:email]', 2, ['[REDACTED:email]']],
    });
    expect(redact(12345678901n)).toBe('12345678901');
    expect(redact(null)).toBeNull();
    expect(redact(true)).toBe(true);
  });

  it('toJSON: its result is walked; a throwing one is [Unreadable]; one returning itself is walked as an object', () => {
    class C {
      v = 1;
      ssn = 'x';
      toJSON() {
        return this;
      }
    }
    expect(
      redact({
        a: { toJSON: () => ({ ssn: 1, v: 'x' }) },
        b: {
          toJSON() {
            throw new Error('x');
          },
        },
        c: new C(),
        e: new (class {
          toJSON() {
            return 'a@b.org';
          }
        })(),
      }),
    ).toEqual({
      a: { ssn: REDACTED, v: 'x' },
      b: '[Unreadable]',
      c: { v: 1, ssn: REDACTED },
      e: '[REDACTED:email]',
    });
  });

  it('objects without a prototype, class instances, cycles through arrays, Maps and Sets', () => {
    expect(redact(Object.assign(Object.create(null), { ssn: 1, v: 'a' }))).toEqual({
      ssn: REDACTED,
      v: 'a',
    });
    class Box {
      items = ['a@b.org'];
    }
    expect(redact(new Box())).toEqual({ items: ['[REDACTED:email]'] });
    const list: unknown[] = [1];
    list.push(list);
    const m = new Map<string, unknown>();
    m.set('self', m);
    const s = new Set<unknown>();
    s.add(s);
    class Arr extends Array<unknown> {}
    const sub = new Arr();
    sub.push('a@b.org', sub);
    expect(redact({ list, m, s, sub })).toEqual({
      list: [1, '[Circular]'],
      m: { self: '[Circular]' },
      s: ['[Circular]'],
      sub: ['[REDACTED:email]', '[Circular]'],
    });
  });

  it('a plain array is copied index by index (a hole becomes undefined); other arrays keep their holes', () => {
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    const plain = redact([, 'a@b.org']) as unknown[];
    expect(plain).toHaveLength(2);
    expect(0 in plain).toBe(true);
    expect(plain[1]).toBe('[REDACTED:email]');
    class Sub extends Array<unknown> {}
    const sub = new Sub(2);
    sub[1] = 'x';
    const out = redact(sub) as unknown[];
    expect(out).toHaveLength(2);
    expect(0 in out).toBe(false);
  });

  it('keys: identifiers and control characters in key names are redacted, __proto__ stays a plain field', () => {
    expect(redact({ 'a\nb': 1, 'mail@x.org': 2, plain: 3 })).toEqual({
      'a\\nb': 1,
      '[REDACTED:email]': 2,
      plain: 3,
    });
    const out = redact(JSON.parse('{"__proto__": {"ssn": 1, "v": 2}}')) as object;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({
      ssn: REDACTED,
      v: 2,
    });
    const r = createRedactor();
    for (let i = 0; i < 2; i++)
      expect(r.value({ 'a@b.org': 1, k: 'x' })).toEqual({ '[REDACTED:email]': 1, k: 'x' });
  });

  it('Errors: name, message, code (string redacted, number kept), numeric status and statusCode, own fields, HTTP client parts, cause and errors', () => {
    const err = Object.assign(new Error('m a@b.org'), {
      code: 42,
      status: '500',
      statusCode: 404,
      detail: 'ssn 123-45-6789',
      fn: () => 1,
      u: undefined,
      nil: null,
      sock: new (class S {})(),
      when: new Date(0),
      config: { url: '/patients/123', headers: { a: 1 }, method: 'get' },
      response: 'x',
      request: { a: 1 },
      errors: 'not an array',
    });
    err.stack = undefined;
    expect(redact(err)).toEqual({
      name: 'Error',
      message: 'm [REDACTED:email]',
      code: 42,
      statusCode: 404,
      status: '500',
      detail: 'ssn [REDACTED:ssn]',
      nil: null,
      when: '1970-01-01T00:00:00.000Z',
      config: { method: 'get', url: '/patients/[REDACTED:url]' },
      response: 'x',
    });
    const e2 = Object.assign(new Error('x'), { code: 'E 123-45-6789', status: 503 });
    e2.stack = 'S';
    expect(redact(e2)).toEqual({
      name: 'Error',
      message: 'x',
      code: 'E [REDACTED:ssn]',
      status: 503,
      stack: 'S',
    });
    const e3 = Object.assign(new Error('x'), { code: true, response: null });
    e3.stack = 'S';
    // a code that is neither a string nor a number is an own field like any other
    expect(redact(e3)).toEqual({
      name: 'Error',
      message: 'x',
      code: true,
      response: null,
      stack: 'S',
    });
  });

  it('Errors: own fields that are Maps, Sets, Errors, arrays and objects without a prototype are written', () => {
    const inner = new Error('y');
    inner.stack = 'S2';
    const e = Object.assign(new Error('x'), {
      m: new Map([['a', 1]]),
      s: new Set([1]),
      inner,
      np: Object.assign(Object.create(null), { a: 1 }),
      arr: [1],
      o: { ssn: 1 },
    });
    e.stack = 'S';
    expect(redact(e)).toEqual({
      name: 'Error',
      message: 'x',
      m: { a: 1 },
      s: [1],
      inner: { name: 'Error', message: 'y', stack: 'S2' },
      np: { a: 1 },
      arr: [1],
      o: { ssn: REDACTED },
      stack: 'S',
    });
  });

  it('Errors: a throwing getter is skipped; cause and errors are walked', () => {
    const e = new Error('top');
    e.stack = 'S';
    Object.defineProperty(e, 'boom', {
      enumerable: true,
      get: () => {
        throw new Error('no');
      },
    });
    (e as Error & { cause: unknown }).cause = 'ssn 123-45-6789';
    (e as Error & { errors: unknown }).errors = ['a@b.org'];
    expect(redact(e)).toEqual({
      name: 'Error',
      message: 'top',
      stack: 'S',
      cause: 'ssn [REDACTED:ssn]',
      errors: ['[REDACTED:email]'],
    });
  });
});
