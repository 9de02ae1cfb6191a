import { createRedactor, redact, SafeLogger, withLogContext } from '../../src';
import { capture } from './capture';

describe('censor', () => {
  it('writes [REDACTED:<kind>] by default and [REDACTED] for a value found by its key', () => {
    expect(redact({ ssn: '123-45-6789', note: 'ssn 123-45-6789' })).toEqual({
      ssn: '[REDACTED]',
      note: 'ssn [REDACTED:ssn]',
    });
  });

  it('with an HMAC key writes the same token for the same value, a different one for another, and never the value', () => {
    const r = createRedactor({ censor: { hmacKey: 'k-1' } });
    const a = r.string('Patient John Smith, ssn 123-45-6789');
    const b = r.string('ssn 123-45-6789 again');
    const c = r.string('ssn 987-65-4321');
    const token = /\[ssn:([0-9a-f]{16})\]/;
    expect(a).toMatch(token);
    expect(token.exec(a)?.[1]).toBe(token.exec(b)?.[1]);
    expect(token.exec(c)?.[1]).not.toBe(token.exec(a)?.[1]);
    expect(a + b + c).not.toMatch(/6789|4321|John|Smith/);
    // another key gives other tokens
    const other = createRedactor({ censor: { hmacKey: 'k-2' } }).string('ssn 123-45-6789');
    expect(token.exec(other)?.[1]).not.toBe(token.exec(a)?.[1]);
    // by key too
    expect(r.value({ ssn: '123-45-6789' })).toEqual({
      ssn: expect.stringMatching(/^\[redacted:[0-9a-f]{16}\]$/),
    });
  });

  it("with 'last4' keeps the last four letters or digits of values of eight or more, the marker for shorter ones", () => {
    const r = createRedactor({ censor: 'last4' });
    expect(r.string('card 4111 1111 1111 1111')).toBe('card [REDACTED:card…1111]');
    expect(r.value({ memberId: 'XK-99812345' })).toEqual({ memberId: '[REDACTED:key…2345]' });
    expect(r.value({ zip: '77006' })).toEqual({ zip: '[REDACTED]' });
  });

  it('writes the marker for an object or array under a sensitive key whatever the censor', () => {
    const r = createRedactor({ censor: { hmacKey: 'k' } });
    // (`phones` is a sensitive key itself now, as the plural of `phone`: a key that is not)
    expect(r.value({ address: { line: ['12 Main St'] }, callers: ['713-555-0199'] })).toEqual({
      address: '[REDACTED]',
      callers: [expect.stringMatching(/^\[phone:[0-9a-f]{16}\]$/)],
    });
    expect(r.value({ ssn: ['123-45-6789'] })).toEqual({ ssn: '[REDACTED]' });
  });

  it('with a function writes what it returns, given the kind and the value', () => {
    const r = createRedactor({ censor: (kind, value) => `<${kind}:${value.length}>` });
    expect(r.string('ssn 123-45-6789')).toBe('ssn <ssn:11>');
  });

  it('refuses anything else with a TypeError naming the option', () => {
    expect(() => createRedactor({ censor: 'stars' as never })).toThrow(/censor/);
    expect(() => createRedactor({ censor: { hmacKey: '' } })).toThrow(TypeError);
  });

  it('never lets a later rule re-mark a token (an HMAC token with a label before it stays one token)', () => {
    const r = createRedactor({ censor: { hmacKey: 'k' } });
    const out = r.string('MRN: 00482913, ssn=123-45-6789');
    expect(out).toMatch(/^\[mrn:[0-9a-f]{16}\], ssn=\[ssn:[0-9a-f]{16}\]$/);
  });

  it('drops the private-use characters that delimit placeholders from the input (they cannot forge a token)', () => {
    expect(createRedactor().string('a\ue000\ue100\ue001b ssn 123-45-6789')).toBe(
      'a\ue100b ssn [REDACTED:ssn]',
    );
  });
});

describe('patterns with needs', () => {
  it('tries a pattern only on strings holding one of the characters it needs', () => {
    const seen: string[] = [];
    const r = createRedactor({
      patterns: [
        {
          name: 'ticket',
          source: 'tk_[a-z]{4}',
          needs: '_',
          check: (m) => {
            seen.push(m);
            return true;
          },
        },
      ],
    });
    expect(r.string('see tk_abcd now')).toBe('see [REDACTED:ticket] now');
    expect(seen).toEqual(['tk_abcd']);
    expect(() => createRedactor({ patterns: [{ name: 'x', source: 'x', needs: '' }] })).toThrow(
      TypeError,
    );
  });
});

describe('allow', () => {
  it('keeps a value a rule would find when it is allowed exactly or by a regular expression', () => {
    const r = createRedactor({ allow: ['Will Rogers', /^SN-DEMO-\d+$/] });
    expect(r.string('Dear Will Rogers, device serial SN-DEMO-0001')).toBe(
      'Dear Will Rogers, device serial SN-DEMO-0001',
    );
    expect(r.string('Dear John Smith, device serial SN-4X9-88812')).toBe(
      'Dear [REDACTED:name], device serial [REDACTED:device]',
    );
  });

  it('never un-redacts a value under a sensitive key', () => {
    expect(createRedactor({ allow: ['123-45-6789'] }).value({ ssn: '123-45-6789' })).toEqual({
      ssn: '[REDACTED]',
    });
  });

  it('refuses an entry that is neither a string nor a RegExp', () => {
    expect(() => createRedactor({ allow: [42 as never] })).toThrow(/allow/);
  });
});

describe('SafeLogger.child', () => {
  it('writes bound fields on every record, redacted, through the same transports; the call wins over bound fields', () => {
    const c = capture();
    const log = new SafeLogger('api', { transports: [c.transport] });
    const child = log
      .child({ tenant: 't-1', patient: { name: 'Ana García' } })
      .child({ step: 'admit' });
    child.info('admitted', { step: 'override' });
    log.info('parent');
    expect(c.lines[0]).toMatchObject({
      logger: 'api',
      message: 'admitted',
      tenant: 't-1',
      patient: { name: '[REDACTED]' },
      step: 'override',
    });
    expect(c.lines[1]).not.toHaveProperty('tenant');
  });

  it('refuses fields that are not an object', () => {
    expect(() => new SafeLogger('x', { transports: [] }).child(null as never)).toThrow(TypeError);
  });
});

describe('withLogContext and trace ids', () => {
  it('adds the context fields to records written inside it, across awaits, and not outside', async () => {
    const c = capture();
    const log = new SafeLogger('api', { transports: [c.transport], traceIds: false });
    await withLogContext({ requestId: 'req-1' }, async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      await withLogContext({ tenant: 't-9' }, async () => log.info('inner'));
      log.info('outer');
    });
    log.info('outside');
    expect(c.lines.map((l) => [l.message, l.requestId, l.tenant])).toEqual([
      ['inner', 'req-1', 't-9'],
      ['outer', 'req-1', undefined],
      ['outside', undefined, undefined],
    ]);
  });

  it('writes traceId and spanId from the traceIds option while a span is active, and survives a throwing one', () => {
    const c = capture();
    let active: { traceId: string; spanId: string } | undefined = {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
    };
    const log = new SafeLogger('api', { transports: [c.transport], traceIds: () => active });
    log.info('in span');
    active = undefined;
    log.info('no span');
    new SafeLogger('api', {
      transports: [c.transport],
      traceIds: () => {
        throw new Error('tracer down');
      },
    }).info('tracer failed');
    expect(c.lines.map((l) => [l.message, l.traceId, l.spanId])).toEqual([
      ['in span', '4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7'],
      ['no span', undefined, undefined],
      ['tracer failed', undefined, undefined],
    ]);
  });

  it('writes no trace ids by default when @opentelemetry/api is not installed', () => {
    const c = capture();
    new SafeLogger('api', { transports: [c.transport] }).info('x');
    expect(c.lines[0]).not.toHaveProperty('traceId');
  });

  it('refuses a traceIds option that is neither a function nor false', () => {
    expect(() => new SafeLogger('x', { traceIds: true as never })).toThrow(/traceIds/);
  });
});
