import { checkSync } from 'recheck';
import { createRedactor, DEFAULT_PATTERNS, redact } from '../../src';
import { INTERNAL_REGEXPS } from '../../src/internal/regexps';

/** Best of several runs of `reps` calls, in ms (a wide-margin ratio is asserted, never a time). */
function bestOf(fn: () => void, runs = 5, reps = 5): number {
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < runs; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < reps; i++) fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e6);
  }
  return best;
}

describe('redaction under hostile input (issue #23 finding 5)', () => {
  describe('every regular expression passes the recheck ReDoS analyser', () => {
    it.each(DEFAULT_PATTERNS.map((r, i) => [`${i}:${r.name}`, r.source]))(
      'value pattern %s is safe',
      (_name, source) => {
        expect(checkSync(source, 'gi').status).toBe('safe');
      },
    );
    it.each(INTERNAL_REGEXPS.map((r, i) => [`${i}:${r.source.slice(0, 40)}`, r]))(
      'internal regexp %s is safe',
      (_name, re) => {
        expect(checkSync(re.source, re.flags).status).toBe('safe');
      },
    );
  });

  // The shapes that made the old patterns quadratic (a run of address characters with a digit
  // was 3.7 s at 48 KB), plus the attack strings recheck reported against the earlier rules.
  const shapes: Array<[string, (n: number) => string]> = [
    ['run of dashes with a digit', (n) => `${'-'.repeat(n)}1`],
    ['run of letters with a digit', (n) => `${'a'.repeat(n)}1`],
    ['alternating digit and percent', (n) => `${'0%'.repeat(n / 2)}0000`],
    ['dotted labels after @', (n) => `0@${'A.0.'.repeat(n / 4)}\u0000`],
    ['digit groups', (n) => `902112404101${'391094'.repeat(n / 6)}%`],
    ['digits and spaces', (n) => `${'1 '.repeat(n / 2)}x`],
    ['dotted digits', (n) => `${'1.'.repeat(n / 2)}x`],
    ['colon hex groups', (n) => `${'a1:'.repeat(n / 3)}x`],
    ['query keys', (n) => `?${'a='.repeat(n / 2)}`],
    ['house number then words', (n) => `1 ${'ab '.repeat(n / 3)}1`],
    ['capitalised words', (n) => `Patient ${'Ab '.repeat(n / 3)}1`],
    ['HL7 fields', (n) => `MSH|^~\\&|\rPID|1|${'|^'.repeat(n / 2)}`],
  ];

  it.each(shapes)('costs about linear time on %s: 10x input < 40x time', (_name, make) => {
    const r = createRedactor();
    const small = make(3_000);
    const large = make(30_000);
    r.string(small); // warm up
    const tSmall = bestOf(() => r.string(small));
    const tLarge = bestOf(() => r.string(large));
    expect(tLarge).toBeLessThan(40 * Math.max(tSmall, 0.05));
  });

  it('never scans or writes more than maxStringLength characters of one string', () => {
    const secret = '123-45-6789';
    const text = `${'a '.repeat(20_000)}${secret}`;
    const out = createRedactor({ maxStringLength: 1_000 }).string(text);
    expect(out.length).toBeLessThan(1_100);
    expect(out).toMatch(/…\[Truncated \d+ chars\]$/);
    expect(out).not.toContain('6789');
  });

  it('cuts before a token that crosses the limit, so no part of an identifier is written', () => {
    const text = `${'x'.repeat(95)} 123456789012`;
    const out = createRedactor({ maxStringLength: 100 }).string(text);
    expect(out).toBe(`${'x'.repeat(95)} …[Truncated 12 chars]`);
  });

  it('scans a string up to the default limit of 32768 characters whole', () => {
    const text = `${'a '.repeat(16_000)}ssn 123-45-6789`;
    expect(text.length).toBeLessThan(32_768);
    expect(redact(text)).toBe(`${'a '.repeat(16_000)}ssn [REDACTED:ssn]`);
  });

  it('refuses a maxStringLength below 64 with a RangeError naming the option', () => {
    expect(() => createRedactor({ maxStringLength: 10 })).toThrow(RangeError);
    expect(() => createRedactor({ maxStringLength: 10 })).toThrow(/maxStringLength/);
  });
});
