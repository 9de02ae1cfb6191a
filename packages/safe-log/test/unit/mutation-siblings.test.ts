/**
 * Exact behaviour of src/internal/siblings.ts (identifiers named together), pinned at its edges:
 * the shape of a found identifier, which tokens of a text have it, and which are quantities.
 * Written against the survivors of a Stryker run of the file (2026-12-04).
 */
import {
  identifierKey,
  idShape,
  markSiblings,
  SIBLING_MAX_LENGTH,
  SIBLING_MIN_DIGITS,
} from '../../src/internal/siblings';

/** Marks as `<kind:token>` so the output shows exactly what was taken. */
const mark = (kind: string, value: string) => `<${kind}:${value}>`;
const siblings = (text: string, ...shapes: Array<[string, string]>) =>
  markSiblings(text, new Map(shapes), mark);

describe('idShape', () => {
  it.each([
    ['1234567', '#######'],
    ['MRN 1234567', '#######'],
    ['MRN: P-00012345', 'p-########'],
    ['AB.123456', 'ab.######'],
    ['12/345678', '##/######'],
    ['(12345678)', '########'],
    ['X1234567--', 'x#######'],
    ['ab-cd 1234567', '#######'],
  ])('%s -> %s', (value, shape) => {
    expect(idShape(value)).toBe(shape);
  });

  it.each([
    ['12345', 'five digits: fewer than SIBLING_MIN_DIGITS'],
    ['ABC-12345', 'five digits with letters'],
    ['', 'empty'],
    ['---', 'no letter or digit'],
    ['id_1234567', 'joined to a word by _'],
    ['é1234567', 'joined to a letter of another script'],
    [`${'1'.repeat(SIBLING_MAX_LENGTH + 1)}`, 'longer than SIBLING_MAX_LENGTH'],
    ['-1234567-', 'no joiner at either end'],
  ])('%s: none (%s)', (value) => {
    if (value === '-1234567-') expect(idShape(value)).toBe('#######');
    else expect(idShape(value)).toBeUndefined();
  });

  it('the limits', () => {
    expect(SIBLING_MIN_DIGITS).toBe(6);
    expect(idShape('123456')).toBe('######');
    expect(idShape('1'.repeat(SIBLING_MAX_LENGTH))).toBe('#'.repeat(SIBLING_MAX_LENGTH));
    // a joiner needs a letter or digit on both sides
    expect(idShape('A.-1234567')).toBe('#######');
    expect(idShape('.1234567')).toBe('#######');
    // upper and lower case letters are one shape; other characters stay as they are
    expect(idShape('Pq-Zz/1234567')).toBe('pq-zz/#######');
  });
});

describe('markSiblings', () => {
  it('marks every whole token of a shape, with its kind, and nothing else', () => {
    expect(siblings('a 7654321, 1111111; 22222222 x', ['#######', 'mrn'])).toBe(
      'a <mrn:7654321>, <mrn:1111111>; 22222222 x',
    );
    expect(siblings('7654321', ['#######', 'mrn'])).toBe('<mrn:7654321>');
    expect(siblings('no tokens here', ['#######', 'mrn'])).toBe('no tokens here');
    expect(siblings('', ['#######', 'mrn'])).toBe('');
  });

  it('a token is letters and digits with single joiners between them', () => {
    expect(siblings('P-00012346. P--00012346 P-00012346-', ['p-########', 'mrn'])).toBe(
      '<mrn:P-00012346>. P--00012346 <mrn:P-00012346>-',
    );
    expect(siblings('x 12/345678/ 12.345678', ['##/######', 'id'])).toBe(
      'x <id:12/345678>/ 12.345678',
    );
  });

  it('not joined to a word on either side, in any script, nor to _', () => {
    expect(
      siblings('é7654321 7654321é _7654321 7654321_ 7654321 y7654321', ['#######', 'mrn']),
    ).toBe('é7654321 7654321é _7654321 7654321_ <mrn:7654321> y7654321');
    // a private-use placeholder is not a word character
    expect(siblings('\ue000\ue100\ue0017654321', ['#######', 'mrn'])).toBe(
      '\ue000\ue100\ue001<mrn:7654321>',
    );
  });

  it('several shapes, each with its kind; a long shape', () => {
    const long = '1'.repeat(35);
    expect(
      siblings(
        `7654321 AB-123456 ${long} ${long}1`,
        ['#######', 'mrn'],
        ['ab-######', 'health-plan'],
        ['#'.repeat(35), 'id'],
      ),
    ).toBe(`<mrn:7654321> <health-plan:AB-123456> <id:${long}> ${long}1`);
  });

  it('tokens longer than SIBLING_MAX_LENGTH are never marked', () => {
    const over = '1'.repeat(SIBLING_MAX_LENGTH + 1);
    const at = '1'.repeat(SIBLING_MAX_LENGTH);
    expect(
      siblings(
        `${over} ${at}`,
        ['#'.repeat(SIBLING_MAX_LENGTH + 1), 'id'],
        ['#'.repeat(SIBLING_MAX_LENGTH), 'id'],
      ),
    ).toBe(`${over} <id:${at}>`);
  });

  it('a quantity: before a unit or count word (after at most two blanks), or %', () => {
    const mrn: [string, string] = ['#######', 'mrn'];
    for (const unit of ['bytes', 'ms', 'rows', 'of', 'records', 'x', 'Bytes', 'MS'])
      expect(siblings(`7654321 ${unit}`, mrn)).toBe(`7654321 ${unit}`);
    expect(siblings('7654321%', mrn)).toBe('7654321%');
    expect(siblings('7654321 %', mrn)).toBe('7654321 %');
    expect(siblings('7654321\tbytes', mrn)).toBe('7654321\tbytes');
    // three blanks: not read as its unit
    expect(siblings('7654321   bytes', mrn)).toBe('<mrn:7654321>   bytes');
    // a word that only starts like a unit, or another word
    expect(siblings('7654321 msg', mrn)).toBe('<mrn:7654321> msg');
    expect(siblings('7654321 bytesize', mrn)).toBe('<mrn:7654321> bytesize');
    expect(siblings('7654321 merged', mrn)).toBe('<mrn:7654321> merged');
    expect(siblings('7654321 ', mrn)).toBe('<mrn:7654321> ');
  });

  it('a count: after `<number> of` (blanks around `of`, at most two each)', () => {
    const mrn: [string, string] = ['#######', 'mrn'];
    expect(siblings('5 of 7654321', mrn)).toBe('5 of 7654321');
    expect(siblings('5of7654321', mrn)).toBe('5of7654321');
    expect(siblings('5  OF\t7654321', mrn)).toBe('5  OF\t7654321');
    expect(siblings('duplicate of 7654321', mrn)).toBe('duplicate of <mrn:7654321>');
    expect(siblings('proof 7654321', mrn)).toBe('proof <mrn:7654321>');
    expect(siblings('of 7654321', mrn)).toBe('of <mrn:7654321>');
    expect(siblings('5   of 7654321', mrn)).toBe('5   of <mrn:7654321>');
    expect(siblings('5 of   7654321', mrn)).toBe('5 of   <mrn:7654321>');
    expect(siblings('a of 7654321', mrn)).toBe('a of <mrn:7654321>');
  });
});

describe('identifierKey', () => {
  it.each([
    'patientId',
    'patient_id',
    'PATIENT-NUMBER',
    'mrn',
    'mrns',
    'ssnList',
    'memberNo',
    'encounterNbr',
    'visitNr',
    'caseNum',
    'insuranceId',
    'nhs',
    'medRec',
    'medicalRecord',
    'healthCard',
    'subscriberIds',
    'policyNumber',
    'chartId',
    'accountNumber',
  ])('%s: an identifier key', (key) => {
    expect(identifierKey(key)).toBe(true);
  });

  it.each([
    'phone',
    'phoneNumber',
    'dob',
    'email',
    'patient',
    'address',
    'mrnx',
    'id',
    'number',
    'patientName',
  ])('%s: not one', (key) => {
    expect(identifierKey(key)).toBe(false);
  });
});
