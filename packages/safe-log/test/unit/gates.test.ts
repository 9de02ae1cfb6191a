import fc from 'fast-check';
import { DEFAULT_PATTERNS, RULE_GATES, type TextStats, textStats } from '../../src/rules';

/**
 * The gates (rules.ts RULE_GATES) skip a value pattern's regular expression on strings it cannot
 * match. A gate that says "cannot match" for a string the rule does match would let an
 * identifier through, so: for every gated rule, gate false implies no match.
 */
const PIECES = [
  '1',
  '12',
  '123',
  '1984',
  '123-45-6789',
  '(713) 555-0199',
  '+36 55 123 4567',
  '10.0.0.1',
  'fe80::1',
  '00:1A:2B:3C:4D:5E',
  '00-1a-2b-3c-4d-5e',
  '1HGCM82633A004352',
  '(01)00844588003288',
  '3/12/84',
  '03.12.1984',
  'March 12, 1984',
  '12 Mar 1984',
  'aged 93',
  '95 y/o',
  'TX 77006',
  '77006-1234',
  'MRN-0048',
  '4111 1111 1111 1111',
  '/patients/',
  'Patient/',
  '/hospitals/',
  'scan.JPG',
  'x.jpeg',
  '.png',
  '?dob=',
  '&a=',
  '=',
  ':',
  '::',
  '-',
  '.',
  '/',
  ' ',
  'a',
  'Z',
  '_',
  'é',
  '\ue000',
];
const text = fc.array(fc.constantFrom(...PIECES), { maxLength: 12 }).map((p) => p.join(''));

describe('gates of the value patterns never skip a rule that matches (issue #17 throughput)', () => {
  const gated = DEFAULT_PATTERNS.filter((r) => RULE_GATES.has(r));

  it('every built-in rule but email has a gate', () => {
    expect(DEFAULT_PATTERNS.filter((r) => !RULE_GATES.has(r)).map((r) => r.name)).toEqual([
      'email',
    ]);
  });

  it.each(gated.map((r, i) => [`${i}:${r.name}`, r] as const))('%s', (_name, rule) => {
    const gate = RULE_GATES.get(rule) as (t: string, s: TextStats) => boolean;
    const regexp = new RegExp(rule.source, 'i');
    fc.assert(
      fc.property(text, (s) => {
        const stats = textStats(s, { digits: 0, colons: 0, dashes: 0, longestAlnum: 0 });
        if (!gate(s, stats)) expect(regexp.test(s)).toBe(false);
      }),
      { numRuns: 3000 },
    );
  });

  it('known shapes pass their gates', () => {
    const passes = (name: string, s: string) =>
      gated
        .filter((r) => r.name === name)
        .some((r) =>
          (RULE_GATES.get(r) as (t: string, s: TextStats) => boolean)(
            s,
            textStats(s, { digits: 0, colons: 0, dashes: 0, longestAlnum: 0 }),
          ),
        );
    expect(passes('photo', 'see IMG_0042.HEIC now')).toBe(true);
    expect(passes('url', 'GET /api/Patients/12345')).toBe(true);
    expect(passes('vin', 'VIN 1HGCM82633A004352')).toBe(true);
    expect(passes('ip', 'from fe80::1')).toBe(true);
    expect(passes('age', 'aged 93')).toBe(true);
    expect(passes('url', 'GET /api/hospitals/12345')).toBe(false);
    expect(passes('photo', 'version 1.2.3')).toBe(false);
  });
});
