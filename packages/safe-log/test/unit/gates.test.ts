import fc from 'fast-check';
import {
  LABEL_HEADS,
  LABELLED,
  LABELLED_PHONE,
  labelGate,
  labelGates,
  PHONE_HEADS,
  phoneLabelGate,
} from '../../src/internal/structured';
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

describe('gates of the label rules never skip a label that matches (issue #17 throughput)', () => {
  const LABEL_PIECES = [
    ...LABEL_HEADS,
    ...PHONE_HEADS,
    'MRN',
    'Mr#',
    'medical record',
    'Med Rec',
    'Member ID',
    'membership no.',
    'policy no.',
    'Medicare MBI',
    'acct.',
    'VIN',
    'license plate',
    'licence plate',
    "driver's license",
    'Nursing Licence',
    'D.O.B.',
    'DOB',
    'date of birth',
    'SS#',
    'S/N',
    'pacemaker serial',
    'voice print',
    'facial template',
    'retinal scan',
    'Phone',
    'TEL',
    'call back on',
    'callback',
    'contact number',
    'registry',
    'retries',
    'update',
    ':',
    '#',
    ' ',
    '  ',
    '-',
    '.',
    '=',
    '/',
    '(',
    ')',
    '1',
    '12345',
    '555-0199',
    'a',
    'X1',
    '_',
    'é',
    'ſ',
    '\u212a',
    '\ue000',
  ];
  const labelText = fc
    .array(fc.constantFrom(...LABEL_PIECES), { maxLength: 10 })
    .map((p) => p.join(''));
  it.each([
    ['labelled identifiers', LABELLED, labelGate],
    ['labelled phones', LABELLED_PHONE, phoneLabelGate],
  ] as const)('%s', (_name, regexp, gate) => {
    const once = new RegExp(regexp.source, regexp.flags.replace('g', ''));
    fc.assert(
      fc.property(labelText, (s) => {
        if (!gate(s)) expect(once.test(s)).toBe(false);
      }),
      { numRuns: 20000 },
    );
  });
  it('known labels pass, words that only resemble one do not', () => {
    expect(labelGate('Member ID: XK1234')).toBe(true);
    expect(labelGate('https://x.org/v1/hospitals?id=1')).toBe(true);
    expect(labelGate('created after 3 retries; registry answered 503')).toBe(false);
    expect(labelGate('12 then mrn')).toBe(false);
    expect(phoneLabelGate('Tel: 555 0199')).toBe(true);
    expect(phoneLabelGate('hotel 5550199')).toBe(false);
  });
});

describe('labelGates is both label gates in one pass', () => {
  it('equals (labelGate ? 1 : 0) | (phoneLabelGate ? 2 : 0)', () => {
    const pieces = [...LABEL_HEADS, ...PHONE_HEADS, ' ', ':', '1', 'a', 'X', '-', '\u212a', 'é'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 12 }), (p) => {
        const s = p.join('');
        expect(labelGates(s)).toBe((labelGate(s) ? 1 : 0) | (phoneLabelGate(s) ? 2 : 0));
      }),
      { numRuns: 20000 },
    );
  });
});
