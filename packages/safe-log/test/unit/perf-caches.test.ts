import { createRedactor } from '../../src';

/** A user's pattern whose `check` counts how often a string is really scanned. */
function counting(found: boolean) {
  const calls = { n: 0 };
  const r = createRedactor({
    patterns: [
      {
        name: 'probe',
        source: 'zq\\d{3}',
        check: () => {
          calls.n++;
          return found;
        },
      },
    ],
  });
  return { r, calls };
}

describe('remembered verdicts (throughput, issue #17)', () => {
  it('a short string with no finding is scanned once, then returned as it is', () => {
    const { r, calls } = counting(false);
    expect(r.string('ticket zq123 opened')).toBe('ticket zq123 opened');
    expect(r.string('ticket zq123 opened')).toBe('ticket zq123 opened');
    expect(r.value({ a: 'ticket zq123 opened', b: ['ticket zq123 opened'] })).toEqual({
      a: 'ticket zq123 opened',
      b: ['ticket zq123 opened'],
    });
    expect(calls.n).toBe(1);
  });

  it('a short string with a finding is scanned once, then its redacted text is returned', () => {
    const { r, calls } = counting(true);
    for (let i = 0; i < 3; i++)
      expect(r.string('ticket zq123 opened')).toBe('ticket [REDACTED:probe] opened');
    expect(calls.n).toBe(1);
    // another string of the same length is no hit
    expect(r.string('ticket zq124 opened')).toBe('ticket [REDACTED:probe] opened');
    expect(calls.n).toBe(2);
    expect(r.string('ticket zq12 opened')).toBe('ticket zq12 opened');
  });

  it('remembered findings are bounded (4,096), least recently used out, and stay correct', () => {
    const { r, calls } = counting(true);
    expect(r.string('zq100 k')).toBe('[REDACTED:probe] k');
    for (let i = 0; i < 4095; i++) r.string(`zq${String(i % 1000).padStart(3, '0')} ${i}`);
    expect(calls.n).toBe(4096);
    // used again while it is the oldest entry: it moves to the end and survives what follows
    expect(r.string('zq100 k')).toBe('[REDACTED:probe] k');
    expect(calls.n).toBe(4096);
    for (let i = 0; i < 100; i++) r.string(`zq123 more ${i}`);
    expect(r.string('zq100 k')).toBe('[REDACTED:probe] k');
    expect(calls.n).toBe(4196);
    // the first of the others was dropped: scanned again, with the same result
    expect(r.string('zq000 0')).toBe('[REDACTED:probe] 0');
    expect(calls.n).toBe(4197);
  });

  it('a remembered finding used now and then is never dropped, however many others pass', () => {
    // A hit moves an entry to the end only when it is in the older half (not on every hit): an
    // entry used at least once per 2,000 new findings must still never be scanned again.
    const { r, calls } = counting(true);
    expect(r.string('zq100 hot')).toBe('[REDACTED:probe] hot');
    for (let i = 0; i < 3 * 4096; i++) {
      r.string(`zq${String(i % 1000).padStart(3, '0')} n${i}`);
      if (i % 1999 === 0) expect(r.string('zq100 hot')).toBe('[REDACTED:probe] hot');
    }
    expect(calls.n).toBe(1 + 3 * 4096);
    expect(r.string('zq100 hot')).toBe('[REDACTED:probe] hot');
    expect(calls.n).toBe(1 + 3 * 4096);
  });

  it('with a censor function every string with a finding is scanned and censored again', () => {
    let n = 0;
    const r = createRedactor({ censor: (kind) => `<${kind}#${++n}>` });
    expect(r.string('ssn 123-45-6789')).toBe('ssn <ssn#1>');
    expect(r.string('ssn 123-45-6789')).toBe('ssn <ssn#2>');
  });

  it('two redactors with different censors never share a remembered text', () => {
    const a = createRedactor();
    const b = createRedactor({ censor: 'last4' });
    expect(a.string('ssn 123-45-6789')).toBe('ssn [REDACTED:ssn]');
    expect(b.string('ssn 123-45-6789')).toBe('ssn [REDACTED:ssn…6789]');
    expect(a.string('ssn 123-45-6789')).toBe('ssn [REDACTED:ssn]');
  });

  it('strings longer than 256 characters are always scanned', () => {
    const { r, calls } = counting(false);
    const long = `zq123 ${'a'.repeat(300)}`;
    r.string(long);
    r.string(long);
    expect(calls.n).toBe(2);
  });

  it('the set of remembered strings is bounded (4,096): older verdicts are dropped when full', () => {
    const { r, calls } = counting(false);
    r.string('first zq123');
    for (let i = 0; i < 4096; i++) r.string(`other ${i}`);
    r.string('first zq123');
    expect(calls.n).toBe(2);
  });

  it('an object met twice on different branches is written twice; only a cycle is [Circular]', () => {
    const shared = { ward: 'B' };
    const loop: Record<string, unknown> = { id: 1 };
    loop.inner = { back: loop };
    expect(createRedactor().value({ a: shared, b: [shared, { c: shared }], loop })).toEqual({
      a: { ward: 'B' },
      b: [{ ward: 'B' }, { c: { ward: 'B' } }],
      loop: { id: 1, inner: { back: '[Circular]' } },
    });
  });

  it('a name after an earlier mark in the same string is still found', () => {
    const r = createRedactor();
    expect(r.string('ssn 123-45-6789 for Maria Garcia')).not.toMatch(/Maria|Garcia|6789/);
    expect(r.string('mrn MRN-00482913, NOK: Jose Lopez')).not.toMatch(/Jose|Lopez|00482913/);
  });
});
