// The value rules at their edges (each family's gate at its exact minimum, the checks of card,
// ip, vin, url and zip matches) and the helpers of src/rules.ts, written against the survivors of
// the mutation runs (stryker.config.mjs).
import { luhn, redact } from '../../src';
import {
  C_AT,
  C_BRACKET,
  C_COLON,
  C_CONTROL,
  C_DASH,
  C_DIGIT,
  C_NONASCII,
  C_PLACEHOLDER,
  C_SLASH,
  C_UPPER,
  classify,
  DEFAULT_PATTERNS,
  hasImageExtension,
  hasPersonPath,
  normaliseKey,
  RULE_GATES,
  textStats,
} from '../../src/rules';

describe('rules.ts helpers (mutation tests)', () => {
  it('normaliseKey lower-cases and keeps letters and digits only', () => {
    expect(normaliseKey('Patient_SSN-No.9')).toBe('patientssnno9');
  });

  it('luhn: 13 to 19 digits with a valid checksum, separators ignored', () => {
    expect(luhn('4111111111111111')).toBe(true);
    expect(luhn('4111 1111 1111 1111')).toBe(true);
    expect(luhn('4222222222222')).toBe(true); // 13 digits
    expect(luhn('422222222222')).toBe(false); // 12 digits
    expect(luhn('4111111111111111110')).toBe(true); // 19 digits
    expect(luhn('41111111111111111103')).toBe(false); // 20 digits
    expect(luhn('4111111111111112')).toBe(false);
    expect(luhn('1234567812345670')).toBe(true);
    expect(luhn('0000000000000')).toBe(true);
    expect(luhn('5500005555555559')).toBe(true);
    expect(luhn('5500005555555558')).toBe(false);
  });

  it('textStats counts digits, colons, dashes and the longest run of ASCII letters and digits', () => {
    const s = { digits: 9, colons: 9, dashes: 9, longestAlnum: 9 };
    expect(textStats('ab12:cd-e:f- Z9 xyz_123456789012345678', s)).toEqual({
      digits: 21,
      colons: 2,
      dashes: 2,
      longestAlnum: 18,
      classes: C_DIGIT | C_UPPER | C_COLON | C_DASH,
    });
    expect(s.digits).toBe(21);
    expect(textStats('', s)).toEqual({
      digits: 0,
      colons: 0,
      dashes: 0,
      longestAlnum: 0,
      classes: 0,
    });
    // The classes are those of classify (one pass for both).
    for (const t of ['ab12:cd-e:f- Z9', 'x\ue000y\u2028', '\t', '\u0001é', 'plain words'])
      expect(textStats(t, s).classes).toBe(classify(t));
    expect(classify('a\ue001\u2029\tb')).toBe(C_NONASCII | C_PLACEHOLDER | C_CONTROL);
    expect(classify('tab\there')).toBe(0);
    expect(textStats('09AZaz', s).longestAlnum).toBe(6);
    expect(textStats('/@[`{', s)).toEqual({
      digits: 0,
      colons: 0,
      dashes: 0,
      longestAlnum: 0,
      classes: C_SLASH | C_AT | C_BRACKET,
    });
    expect(textStats('ab cdef gh', s).longestAlnum).toBe(4);
    expect(textStats('abcd é ab', s).longestAlnum).toBe(4);
  });

  it('hasImageExtension: an image extension (any case) ending a word', () => {
    const yes = ['a.jpg', 'a.JPEG', 'x.tiff.', 'a.b.png', '.png', 'a_b.dcm', 'a.tif b', 'x.webp'];
    const no = ['a.jpgx', 'a.jp', 'a.heic1', 'a.pngs', 'a.txt', 'png', 'a.pn_g', 'a.', 'a.b'];
    for (const t of yes) expect([t, hasImageExtension(t)]).toEqual([t, true]);
    for (const t of no) expect([t, hasImageExtension(t)]).toEqual([t, false]);
  });

  it('hasPersonPath: a person word standing alone before a /', () => {
    const yes = [
      '/patients/1',
      'Patient/1',
      'mrns/1',
      'relatedperson/2',
      'a /members/',
      'beneficiaries/9',
      'x practitioners/1',
      'a/b patient/1',
    ];
    const no = [
      'xpatient/1',
      'pt/1',
      'apatients/1',
      'abcdefghijklmnopatient/1',
      'ward/1',
      '/',
      'a_patient/1',
    ];
    for (const t of yes) expect([t, hasPersonPath(t)]).toEqual([t, true]);
    for (const t of no) expect([t, hasPersonPath(t)]).toEqual([t, false]);
  });

  it('every default rule but email has a gate; each gate passes the smallest text its rule matches', () => {
    const gated = DEFAULT_PATTERNS.filter((r) => RULE_GATES.get(r) !== undefined).map(
      (r) => r.name,
    );
    expect(DEFAULT_PATTERNS.filter((r) => !gated.includes(r.name)).map((r) => r.name)).toEqual([
      'email',
    ]);
    const gate = (name: string, needs: string | undefined, text: string) => {
      const rule = DEFAULT_PATTERNS.find(
        (r) => r.name === name && (needs === undefined || r.needs === needs),
      );
      const st = textStats(text, { digits: 0, colons: 0, dashes: 0, longestAlnum: 0 });
      return RULE_GATES.get(rule as never)?.(text, st);
    };
    expect(gate('query', undefined, '?a=1')).toBe(true);
    expect(gate('query', undefined, '?a')).toBe(false);
    expect(gate('photo', undefined, 'a.png')).toBe(true);
    expect(gate('photo', undefined, 'a.txt')).toBe(false);
    expect(gate('url', undefined, 'patient/1')).toBe(true);
    expect(gate('url', undefined, 'ward/1')).toBe(false);
    expect(gate('vin', undefined, 'ABCDEFGHJKLMNPRS1')).toBe(true);
    expect(gate('vin', undefined, 'ABCDEFGHJKLMNPRS')).toBe(false);
    expect(gate('vin', undefined, 'ABCDEFGHJKLMNPRST')).toBe(false);
    expect(gate('device', ':-', '1:2:3:4:5:')).toBe(true);
    expect(gate('device', ':-', '1-2-3-4-5-')).toBe(true);
    expect(gate('device', ':-', '1:2:3:4-5-')).toBe(false);
    expect(gate('ip', ':', 'a:b:c:d:e:f:g:h')).toBe(true);
    expect(gate('ip', ':', 'fe80::1')).toBe(true);
    expect(gate('ip', ':', 'a:b:c:d')).toBe(false);
    expect(gate('ip', ':', 'a::')).toBe(true);
    expect(gate('ip', ':', 'a:b:c:d:e:f:g')).toBe(false);
    for (const [name, min] of [
      ['ssn', 9],
      ['mrn', 4],
      ['card', 13],
      ['age', 2],
      ['phone', 4],
      ['zip', 5],
    ] as const) {
      expect([name, gate(name, '0123456789', '1'.repeat(min))]).toEqual([name, true]);
      expect([name, gate(name, '0123456789', '1'.repeat(min - 1))]).toEqual([name, false]);
    }
    expect(gate('device', '0123456789', '1'.repeat(14))).toBe(true);
    expect(gate('device', '0123456789', '1'.repeat(13))).toBe(false);
    expect(gate('ip', '0123456789', '1234')).toBe(true);
    expect(gate('ip', '0123456789', '123')).toBe(false);
  });
});

describe('value rules at their edges (mutation tests)', () => {
  it.each([
    ['an MRN of exactly four digits', 'MRN-1234', '[REDACTED:mrn]'],
    ['a 13-digit card', 'card 4222222222222', 'card [REDACTED:card]'],
    ['a VIN with one digit', 'car ABCDEFGHJKLMNPRS1', 'car [REDACTED:vin]'],
    ['a VIN in lower case is not one', 'car 1hgcm82633a004352', 'car 1hgcm82633a004352'],
    ['17 capitals without a digit are not a VIN', 'car ABCDEFGHJKLMNPRST', 'car ABCDEFGHJKLMNPRST'],
    ['a MAC address with colons', 'mac 00:1a:2b:3c:4d:5e', 'mac [REDACTED:device]'],
    ['a MAC address with dashes', 'mac 00-1a-2b-3c-4d-5e', 'mac [REDACTED:device]'],
    ['five pairs are not a MAC address', 'mac 00:1a:2b:3c:4d', 'mac 00:1a:2b:3c:4d'],
    ['a UDI device identifier', '(01)00844588003288', '[REDACTED:device]'],
    ['an IPv4 address', 'v 1.2.3.4', 'v [REDACTED:ip]'],
    ['an octet over 255 is not an address', 'from 256.1.1.1', 'from 256.1.1.1'],
    ['255 is an octet', 'from 255.255.255.255', 'from [REDACTED:ip]'],
    ['a full IPv6 address', 'a 2001:db8:0:0:0:0:2:1 b', 'a [REDACTED:ip] b'],
    ['a short IPv6 address', 'a fe80::1 b', 'a [REDACTED:ip] b'],
    ['a ZIP after a state in capitals', 'Houston, TX 77006', 'Houston, [REDACTED:zip]'],
    ['a ZIP after a state in lower case is not one', 'Houston, tx 77006', 'Houston, tx 77006'],
    ['a ZIP+4', 'zip 77006-1234', 'zip [REDACTED:zip]'],
    ['a URL id without a digit stays', '/patients/abc', '/patients/abc'],
    ['a URL id with a digit', '/patients/a1', '/patients/[REDACTED:url]'],
    ['an age of 92', 'a 92-year-old', 'a [REDACTED:age]'],
    ['an age of 89 stays', 'a 89-year-old', 'a 89-year-old'],
    ['an age of 93yo', '93yo', '[REDACTED:age]'],
    ['an ISO date', 'on 2024-01-05', 'on [REDACTED:date]'],
    ['a timestamp stays', 'at 2024-01-05T10:00', 'at 2024-01-05T10:00'],
    ['a US date', 'on 1/5/84', 'on [REDACTED:date]'],
    ['not a US date', 'on 13/5/84', 'on 13/5/84'],
    ['an E.164 phone', '+4915112345678', '[REDACTED:phone]'],
    ['a query value', '?a=1', '?a=[REDACTED:query]'],
    ['a photo file', 'x.png', '[REDACTED:photo]'],
  ])('%s', (_what, text, out) => {
    expect(redact(text)).toBe(out);
  });
});
