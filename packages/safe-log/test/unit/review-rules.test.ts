/**
 * Findings of the realistic-log review (international phones, key families, plural person
 * parents, card and IPv4 false positives, names the dictionary missed). Each case failed before
 * the fix in src/rules.ts or src/data/names.txt. Phone numbers are in the ranges set aside for
 * fiction (UK 07700 900xxx, London 020 7946 0xxx); cards are the issuers' published test numbers.
 */
import { createRedactor, redact } from '../../src';
import { cardIssuer, luhn, PERSON_PARENTS } from '../../src/rules';

const r = createRedactor();

describe('international phone numbers are taken whole', () => {
  it.each([
    ['SMS to +44 7700 900123 delivered', ['7700', '900123']],
    ['callback +49 30 12345678 requested', ['12345678']],
    ['call +44 (0)20 7946 0958', ['7946', '0958']],
    ['call +44 7700900123 now', ['7700900123']],
    ['fax +33 1 23 45 67 89 sent', ['45 67 89']],
  ])('%s', (text, parts) => {
    const out = r.string(text);
    expect(out).toContain('[REDACTED:phone]');
    for (const p of parts) expect(out).not.toContain(p);
    expect(out.match(/\[REDACTED:phone\]/g)).toHaveLength(1);
  });

  it('keeps a plus sign before a few small numbers (fewer than 8 digits)', () => {
    expect(r.string('score +1 2 3 after retry')).toBe('score +1 2 3 after retry');
  });
});

describe('key families', () => {
  it.each([
    'nhsNumber',
    'nhs_no',
    'MRN_NO',
    'mrnNumber',
    'patientMrnNum',
    'patientNumber',
    'medRecNum',
    'medrec',
    'chartId',
    'chart_no',
    'healthCardNumber',
    'ssnDigits',
    'postal',
    'homePostal',
    'ptName',
    'pat_nm',
    'ptDob',
    'first',
    'last',
    'middle',
    'family',
    'forename',
    'patientSurname',
    'motherMaidenName',
    'insuranceId',
  ])('%s is redacted whole', (key) => {
    expect(redact({ [key]: 'A1234567' })).toEqual({ [key]: '[REDACTED]' });
  });

  it('leaves ordinary keys that only start like a name part or a postal word', () => {
    const value = {
      lastModified: '2026-12-03T10:15:00Z',
      firstSeen: 'build-7',
      postalService: 'usps',
      familyHistoryCount: 3,
      chartType: 'line',
      patientCount: 12,
    };
    expect(redact(value)).toEqual(value);
  });
});

describe('person parents in the plural and as containers', () => {
  it.each([
    'patients',
    'members',
    'users',
    'contacts',
    'guarantors',
    'beneficiaries',
    'dependents',
    'children',
    'patientInfo',
    'contactDetails',
    'pts',
  ])('%s: [{ name }] is redacted', (key) => {
    const out = JSON.stringify(redact({ [key]: [{ name: 'Xiomara Castillo', id: 'p-1' }] }));
    expect(out).not.toContain('Xiomara');
    expect(out).toContain('p-1');
  });

  it('matches plurals only through has(), and a facility name stays', () => {
    expect(PERSON_PARENTS.has('guarantors')).toBe(true);
    expect(PERSON_PARENTS.has('hospitals')).toBe(false);
    expect(PERSON_PARENTS.has('s')).toBe(false);
    expect(redact({ hospitals: [{ name: 'Mercy General' }] })).toEqual({
      hospitals: [{ name: 'Mercy General' }],
    });
  });
});

describe('cards need an issuer prefix and length as well as Luhn', () => {
  it.each([
    ['epoch milliseconds', 'started 1764756000006 ended', '1764756000006'],
    ['HL7 timestamp', 'MSH|^~\\&|EPIC|MGH|LAB|MGH|20261203101500||ADT^A04', '20261203101500'],
    ['no issuer starts with 9', 'order 9111111111111110 shipped', '9111111111111110'],
  ])('%s passing Luhn is kept', (_label, text, digits) => {
    expect(luhn(digits)).toBe(true);
    expect(r.string(text)).toContain(digits);
  });

  it.each([
    '4111111111111111', // Visa 16
    '4222222222222', // Visa 13
    '5555555555554444', // Mastercard
    '2223003122003222', // Mastercard 2-series
    '378282246310005', // Amex
    '6011111111111117', // Discover
    '3530111333300000', // JCB
    '30569309025904', // Diners 14
    '6200000000000005', // UnionPay
  ])('card %s is still redacted', (card) => {
    expect(cardIssuer(card)).toBe(true);
    expect(r.string(`card ${card} declined`)).toBe('card [REDACTED:card] declined');
  });

  it('a Visa prefix with a length Visa never has is not a card', () => {
    expect(cardIssuer('41111111111111')).toBe(false); // 14 digits
  });
});

describe('IPv4 after a product token is a version', () => {
  it('keeps Chrome/120.0.0.0 in a user agent', () => {
    const ua =
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0.0.0 Safari/537.36';
    expect(r.string(ua)).toBe(ua);
  });

  it.each([
    ['http://10.1.2.3/health', 'http://[REDACTED:ip]/health'],
    ['connection from 10.1.2.3 refused', 'connection from [REDACTED:ip] refused'],
    ['GET /hosts/10.1.2.3', 'GET /hosts/[REDACTED:ip]'],
  ])('still takes %s', (text, expected) => {
    expect(r.string(text)).toBe(expected);
  });
});

describe('names the dictionary missed', () => {
  it.each([
    'Wei Zhang',
    'Jin Chen',
    'Bao Lin',
    'Hiroshi Tanaka',
    'Chidi Okafor',
    'Xiomara Castillo',
    'Min-jun Park',
  ])('appt for %s at 10:30', (name) => {
    expect(r.string(`appt for ${name} at 10:30`)).toBe('appt for [REDACTED:name] at 10:30');
  });

  it.each([
    'Meet at the Park entrance',
    'Lin reported the build green',
    'Ping timeout to Redis Primary',
    'Endo consult requested, Ortho follow up',
  ])('a surname or an ordinary word alone stays: %s', (text) => {
    expect(r.string(text)).toBe(text);
  });
});
