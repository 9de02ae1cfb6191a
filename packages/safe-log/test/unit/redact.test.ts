import fc from 'fast-check';
import { createRedactor, luhn, redact } from '../../src';

describe('redact', () => {
  it.each([
    'ssn',
    'SSN',
    'social_security_number',
    'socialSecurityNumber',
    'Social-Security-Number',
    'dateOfBirth',
    'date_of_birth',
    'DOB',
    'patientSsn',
    'home_phone',
    'contactEmail',
    'MRN',
    'password',
    'Authorization',
    'streetAddress',
    'zip_code',
  ])('replaces the value under the key %s, whatever it is', (key) => {
    expect(redact({ [key]: 'anything at all' })).toEqual({ [key]: '[REDACTED]' });
    expect(redact({ [key]: 123456789 })).toEqual({ [key]: '[REDACTED]' });
    expect(redact({ [key]: { nested: 'x' } })).toEqual({ [key]: '[REDACTED]' });
  });

  it('keeps ordinary keys and values', () => {
    const input = {
      hospitalId: 'h-12',
      status: 'active',
      beds: 420,
      ok: true,
      name: 'St Mary General',
      durationMs: 12.5,
    };
    expect(redact(input)).toEqual(input);
  });

  it.each([
    ['SSN', 'patient 123-45-6789 admitted', 'patient [REDACTED:ssn] admitted'],
    ['SSN with spaces', 'ssn 123 45 6789', 'ssn [REDACTED:ssn]'],
    ['email', 'sent to Ana.Garcia+x@example.org today', 'sent to [REDACTED:email] today'],
    ['US phone', 'call (713) 555-0199 now', 'call [REDACTED:phone] now'],
    ['phone with country code', 'call +1 713-555-0199', 'call [REDACTED:phone]'],
    ['E.164 phone', 'sms +447700900123', 'sms [REDACTED:phone]'],
    ['MRN', 'record MRN-00482913 missing', 'record [REDACTED:mrn] missing'],
    ['MRN with colon', 'mrn: 4829133', '[REDACTED:mrn]'],
    ['ISO date of birth', 'born 1984-03-12', 'born [REDACTED:date]'],
    ['US date', 'dob 3/12/1984', 'dob [REDACTED:date]'],
    ['Visa card (Luhn)', 'card 4111 1111 1111 1111 declined', 'card [REDACTED:card] declined'],
    ['card without spaces', 'pan 5500005555555559', 'pan [REDACTED:card]'],
    ['IPv4', 'from 203.0.113.7', 'from [REDACTED:ip]'],
    ['IPv6', 'from 2001:db8::ff00:42:8329', 'from [REDACTED:ip]'],
    [
      'street address',
      'lives at 1200 Westheimer Rd, Houston',
      'lives at [REDACTED:address], Houston',
    ],
    ['street address (long suffix)', 'at 42 Main Street', 'at [REDACTED:address]'],
    ['ZIP with state', 'Houston, TX 77006', 'Houston, [REDACTED:zip]'],
    ['ZIP+4', 'zip 77006-1234', 'zip [REDACTED:zip]'],
    [
      'query string values',
      'GET /patients?dob=1984-03-12&name=Ana%20Garcia#top',
      'GET /patients?dob=[REDACTED:query]&name=[REDACTED:query]#top',
    ],
  ])('finds %s inside text', (_label, input, output) => {
    expect(redact(input)).toBe(output);
  });

  it('keeps a UUID whose first three groups happen to be digits passing Luhn (request and record ids), and still finds a card beside one', () => {
    // One random v4 UUID in ~10^4 has 16 digits in its first three groups that pass Luhn: the
    // card rule cut such request ids in CI ('[REDACTED:card]-b83a-6d0ff43ce89e').
    const uuids = [
      '41111111-1111-1111-8abc-0123456789ab',
      '55000055-5555-5559-b83a-6d0ff43ce89e',
      '0f1e2d3c-4b5a-4978-4111-111111111111',
    ];
    for (const uuid of [...uuids, ...uuids.map((u) => u.toUpperCase())]) {
      expect(luhn(uuid.slice(0, 18)) || luhn(uuid.slice(19))).toBe(true);
      expect(redact(`request ${uuid} done`)).toBe(`request ${uuid} done`);
      expect(redact({ requestId: uuid })).toEqual({ requestId: uuid });
    }
    // Not UUID-shaped: a card in the same digits is still a card.
    for (const text of [
      '41111111-1111-1111',
      '41111111-1111-1111-8abc',
      '4111-1111-1111-1111-8abc-0123456789ab',
      '41111111-1111-1111-8abc-0123456789abc',
      '4111 1111 1111 1111 41111111-1111-1111-8abc-0123456789ab',
      'ref 4111-111111111111',
    ])
      expect(redact(text)).toContain('[REDACTED:card]');
  });

  it('never changes a UUID, however many of its characters are digits (property)', () => {
    const fullScan = createRedactor({ patterns: [{ name: 'never', source: '(?!)' }] });
    const group = (n: number) =>
      fc
        .array(fc.oneof(fc.constantFrom(...'0123456789'), fc.constantFrom(...'0123456789abcdef')), {
          minLength: n,
          maxLength: n,
        })
        .map((chars) => chars.join(''));
    fc.assert(
      fc.property(group(8), group(4), group(4), group(4), group(12), (...groups) => {
        const uuid = groups.join('-');
        // Inside a text (every rule runs), in upper case too, and alone (returned before the scan).
        expect(redact(`id ${uuid}.`)).toBe(`id ${uuid}.`);
        expect(redact(`id ${uuid.toUpperCase()}.`)).toBe(`id ${uuid.toUpperCase()}.`);
        expect(redact(uuid)).toBe(uuid);
        // Alone through every built-in step: a pattern of the user's that never matches turns
        // off the UUID shortcut and the first looks, so the bare string gets the full scan.
        expect(fullScan.string(uuid)).toBe(uuid);
      }),
      { numRuns: 2000 },
    );
  });

  it("a whole-string UUID skips the built-in scan only: a pattern of the user's still finds one", () => {
    const uuid = '12345678-1234-4123-8123-123456789012';
    const ticket = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
    const r = createRedactor({ patterns: [{ name: 'ticket', source: ticket }] });
    expect(r.string(uuid)).toBe('[REDACTED:ticket]');
    expect(r.value({ requestId: uuid })).toEqual({ requestId: '[REDACTED:ticket]' });
    expect(createRedactor().string(uuid)).toBe(uuid);
    // Not a whole canonical UUID: scanned as before (a 12-digit group is still not a finding).
    expect(redact(`${uuid} `)).toBe(`${uuid} `);
  });

  it('leaves numbers that are not identifiers: a 16-digit id that fails Luhn, timestamps, versions, durations', () => {
    for (const text of [
      'order 4111111111111112',
      '2026-11-25T02:04:40.123Z',
      'node v20.20.2',
      'took 1234 ms',
      'HTTP 503 after 3 attempts',
      'port 6379',
    ]) {
      expect(redact(text)).toBe(text);
    }
    expect(luhn('4111111111111111')).toBe(true);
    expect(luhn('4111111111111112')).toBe(false);
  });

  it('redacts a message marked PHI: whole (the seed rule)', () => {
    expect(redact('PHI: Jane Roe, diabetic')).toBe('[REDACTED:phi]');
  });

  it('neutralises CR/LF and control characters (log injection)', () => {
    expect(redact('ok\r\n{"level":"error"}\u001b[31m')).toBe('ok\\r\\n{"level":"error"}[31m');
  });

  it('goes into nested objects, arrays, Maps and Sets', () => {
    const input = {
      a: [{ b: { c: 'ssn 123-45-6789' } }, 'x@y.org'],
      m: new Map<unknown, unknown>([
        ['ssn', '123-45-6789'],
        [7, 'ok'],
      ]),
      s: new Set(['203.0.113.7']),
    };
    expect(redact(input)).toEqual({
      a: [{ b: { c: 'ssn [REDACTED:ssn]' } }, '[REDACTED:email]'],
      m: { ssn: '[REDACTED]', '7': 'ok' },
      s: ['[REDACTED:ip]'],
    });
  });

  it('turns Errors into plain objects with redacted message, stack and cause', () => {
    const cause = new Error('row 123-45-6789 violates constraint');
    const err = Object.assign(new Error('insert failed for jane@example.org', { cause }), {
      code: 'E_DB',
      status: 500,
    });
    const out = redact({ err }) as { err: Record<string, unknown> };
    expect(out.err.message).toBe('insert failed for [REDACTED:email]');
    expect(out.err.code).toBe('E_DB');
    expect(out.err.status).toBe(500);
    expect(String(out.err.stack)).not.toContain('jane@example.org');
    expect(String(out.err.stack)).not.toMatch(/\n/);
    expect((out.err.cause as Record<string, unknown>).message).toBe(
      'row [REDACTED:ssn] violates constraint',
    );
  });

  it('never mutates its input', () => {
    const input = { ssn: '123-45-6789', list: ['a@b.org'], deep: { phone: '713-555-0199' } };
    const copy = structuredClone(input);
    redact(input);
    expect(input).toEqual(copy);
  });

  it('handles circular references, Buffers, Dates, class instances and throwing getters', () => {
    class Patient {
      ssn = '123-45-6789';
      ward = 'B';
      get broken(): string {
        throw new Error('no');
      }
    }
    const p = new Patient();
    Object.defineProperty(p, 'boom', {
      enumerable: true,
      get: () => {
        throw new Error('getter 123-45-6789');
      },
    });
    const circ: Record<string, unknown> = { id: 1 };
    circ.self = circ;
    const out = redact({
      p,
      circ,
      buf: Buffer.from('123-45-6789'),
      when: new Date(0),
      fn: () => 1,
      big: 10n,
    });
    expect(out).toEqual({
      p: { ssn: '[REDACTED]', ward: 'B', boom: '[Unreadable]' },
      circ: { id: 1, self: '[Circular]' },
      buf: '[Binary 11 bytes]',
      when: '1970-01-01T00:00:00.000Z',
      fn: '[Function]',
      big: '10',
    });
  });

  it('bounds depth', () => {
    let deep: Record<string, unknown> = { v: 'x' };
    for (let i = 0; i < 50; i++) deep = { d: deep };
    expect(JSON.stringify(redact(deep))).toContain('[Truncated]');
  });

  it('redacts identifiers used as keys', () => {
    expect(redact({ '123-45-6789': 'found' })).toEqual({ '[REDACTED:ssn]': 'found' });
  });

  it('takes extra key names and patterns; misconfiguration is a TypeError naming the option', () => {
    const r = createRedactor({
      keys: ['ward', /^x-/],
      patterns: [{ name: 'badge', source: 'BDG-\\d{4}' }],
    });
    expect(r.value({ ward: 'B', 'x-trace': 't', note: 'badge BDG-1234' })).toEqual({
      ward: '[REDACTED]',
      'x-trace': '[REDACTED]',
      note: 'badge [REDACTED:badge]',
    });
    expect(() => createRedactor({ keys: [1 as never] })).toThrow(/keys/);
    expect(() => createRedactor({ patterns: [{} as never] })).toThrow(/patterns/);
    expect(() => createRedactor({ maxDepth: 0 })).toThrow(RangeError);
  });

  describe('property: generated identifiers never survive, wherever they are', () => {
    const d = (n: number) => fc.stringMatching(new RegExp(`^[0-9]{${n}}$`));
    const ssn = fc.tuple(d(3), d(2), d(4)).map(([a, b, c]) => `${a}-${b}-${c}`);
    const email = fc
      .tuple(
        fc.stringMatching(/^[a-z][a-z0-9.]{0,10}[a-z0-9]$/),
        fc.stringMatching(/^[a-z]{1,10}$/),
        fc.constantFrom('org', 'com', 'health'),
      )
      .map(([u, h, t]) => `${u}@${h}.${t}`);
    const phone = fc
      .tuple(d(3), d(3), d(4), fc.constantFrom('-', '.', ' '))
      .map(([a, b, c, s]) => `${a}${s}${b}${s}${c}`);
    const card = d(15).map((body) => {
      for (let check = 0; check < 10; check++)
        if (luhn(`4${body.slice(1)}${check}`)) return `4${body.slice(1)}${check}`;
      return '4111111111111111';
    });
    const identifier = fc.oneof(ssn, email, phone, card);
    const words = fc
      .array(fc.constantFrom('patient', 'row', 'failed', 'for', 'id', ':', '(', ')', 'at'), {
        maxLength: 4,
      })
      .map((w) => w.join(' '));
    const carrier = fc
      .tuple(words, identifier, words)
      .map(([a, id, b]) => ({ id, text: `${a} ${id} ${b}` }));
    const nest = (text: string, shape: number[]) =>
      shape.reduce<unknown>(
        (acc, s) => (s % 3 === 0 ? [acc] : s % 3 === 1 ? { k: acc } : new Map([['v', acc]])),
        text,
      );

    it('in text nested at any depth', () => {
      fc.assert(
        fc.property(carrier, fc.array(fc.nat(), { maxLength: 8 }), ({ id, text }, shape) => {
          expect(JSON.stringify(redact(nest(text, shape)))).not.toContain(id);
        }),
        { numRuns: 500 },
      );
    });

    it('in Error messages and stacks', () => {
      fc.assert(
        fc.property(carrier, ({ id, text }) => {
          expect(JSON.stringify(redact({ err: new Error(text) }))).not.toContain(id);
        }),
        { numRuns: 300 },
      );
    });
  });
});
