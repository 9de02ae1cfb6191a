/**
 * Identifiers in lists and merges: a log line names several records at once (`MRNs 1234567,
 * 7654321 and 1111111 flagged`, `Patient ID P-00012345 merged into P-00012346`), and only the
 * first stands after its label. A plural label counts as the label, and once a rule has found an
 * identifier (five digits or more) in a string, every other token of the same shape in that
 * string is the same kind of identifier. The kept cases pin what must stay: numbers of another
 * shape, and strings in which no identifier was found.
 */
import fc from 'fast-check';
import { createRedactor, SafeLogger } from '../../src';
import { capture } from './capture';

const r = createRedactor();

describe('plural labels', () => {
  it.each([
    ['MRNs 1234567', '1234567', 'mrn'],
    ['patient IDs 00482913', '00482913', 'mrn'],
    ['SSNs 078051120', '078051120', 'ssn'],
    ['Member IDs XYZ12345', 'XYZ12345', 'health-plan'],
    ['case numbers 2024-00017', '2024-00017', 'mrn'],
  ])('%s', (text, value, kind) => {
    const out = r.string(text);
    expect(out).not.toContain(value);
    expect(out).toContain(`[REDACTED:${kind}]`);
  });
});

describe('a patient, pt or encounter number', () => {
  it.each([
    ['Patient #12345678 checked in', '12345678', 'mrn'],
    ['pt #12345678 checked in', '12345678', 'mrn'],
    ['MR#12345 seen', '12345', 'mrn'],
    ['Received lab order for patient 0012345 from the lab', '0012345', 'mrn'],
    ['patients 12345678 and 12345679 merged', '12345679', 'mrn'],
    ['encounter 98765432 for patient 12345678', '98765432', 'mrn'],
    ['encounter id 4471 closed', '4471', 'mrn'],
    ['visit number 4471 closed', '4471', 'mrn'],
  ])('%s', (text, value, kind) => {
    const out = r.string(text);
    expect(out).not.toContain(value);
    expect(out).toContain(`[REDACTED:${kind}]`);
  });

  it.each([
    'patient 3 of 5 processed',
    'patients 12 rows updated',
    'encounter 2 of 3',
    'pt 45yo F',
    'patient count 12345',
    // a generated id (a UUID whose first group starts with six digits) is not a record number
    'Updated record for encounter 2267113c-5d83-4689-9154-3c182011501b',
  ])('kept: %s', (text) => {
    expect(r.string(text)).toBe(text);
  });
});

describe('tokens of the shape of an identifier found in the same string', () => {
  it.each([
    ['MRNs 1234567, 7654321 and 1111111 flagged', ['1234567', '7654321', '1111111'], 'mrn'],
    ['Merged MRN 1234567 into 7654321', ['1234567', '7654321'], 'mrn'],
    ['Patient ID P-00012345 merged into P-00012346.', ['P-00012345', 'P-00012346'], 'mrn'],
    ['patient id p-00012345 merged into P-00012346', ['p-00012345', 'P-00012346'], 'mrn'],
    [
      'Member ID XJH849302011 replaced by XJH849302012',
      ['XJH849302011', 'XJH849302012'],
      'health-plan',
    ],
    ['duplicate: mrn 00482913 / 00482914 (same DOB)', ['00482913', '00482914'], 'mrn'],
    ['MRN 1234567\n7654321\n1111111', ['1234567', '7654321', '1111111'], 'mrn'],
  ])('%s', (text, values, kind) => {
    const out = r.string(text);
    for (const v of values) expect(out).not.toContain(v);
    expect(out.split(`[REDACTED:${kind}]`).length - 1).toBe(values.length);
  });

  it('after a sensitive key: `patientId=8812345 duplicates 8812346`', () => {
    const out = r.string('patientId=8812345 duplicates 8812346');
    expect(out).not.toContain('8812345');
    expect(out).not.toContain('8812346');
  });

  it.each([
    // another number of digits, a version, a duration, a count
    ['MRN 1234567 took 250 ms, retry 3 of 5, request 12345678', ['250', '3 of 5', '12345678']],
    ['MRN 1234567 build 1.2345678 node v20.1234567', ['1.2345678', 'v20.1234567']],
    // joined to a word: another shape
    ['MRN 1234567 and batch abc-7654321 and x7654321', ['abc-7654321', 'x7654321']],
    // another prefix: another kind of identifier
    ['Patient ID P-00012345 belongs to ward W-00012346', ['W-00012346']],
    // four digits are not enough to make a shape (`MRN-0048` is an identifier; `0049` alone is not)
    ['MRN-0048 seen by 0049', ['0049']],
  ])('kept: %s', (text, kept) => {
    const out = r.string(text);
    for (const k of kept) expect(out).toContain(k);
  });

  it('a string without an identifier keeps its numbers', () => {
    expect(r.string('order 1234567 shipped, 7654321 pending')).toBe(
      'order 1234567 shipped, 7654321 pending',
    );
  });

  it('a date found does not make its shape an identifier', () => {
    expect(r.string('DOB 1980-01-02, appointment slot 2026-12-04 10:30')).toContain(
      '2026-12-04 10:30',
    );
  });

  it('no list of identifiers after a label keeps one of them (property)', () => {
    const id = fc.stringMatching(/^[0-9]{6,10}$/);
    fc.assert(
      fc.property(
        fc.constantFrom('MRNs', 'MRN', 'patient IDs', 'Medical record numbers:', 'mrn#'),
        fc
          .uniqueArray(id, { minLength: 2, maxLength: 6 })
          .filter((ids) => ids.every((x) => x.length === (ids[0] as string).length)),
        fc.constantFrom(', ', ' and ', ' / ', '; ', '\n', ' into '),
        (label, ids, sep) => {
          const out = r.string(`${label} ${ids.join(sep)} flagged`);
          for (const x of ids) expect(out).not.toContain(x);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('numbers of another length than the identifier are kept (property)', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[1-9][0-9]{6}$/),
        // (ten digits and more can be an NHS number or a phone on their own)
        fc.stringMatching(/^[1-9][0-9]{0,5}$|^[1-9][0-9]{7}$/),
        (mrn, other) => {
          const out = r.string(`MRN ${mrn} took ${other} ms`);
          expect(out).not.toContain(mrn);
          expect(out).toContain(` ${other} ms`);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('through SafeLogger: a merge line keeps neither record number', () => {
    const c = capture();
    new SafeLogger('t', { transports: [c.transport] }).info(
      'Patient ID P-00012345 merged into P-00012346',
    );
    expect(c.raw).toHaveLength(1);
    expect(c.raw[0]).not.toContain('00012345');
    expect(c.raw[0]).not.toContain('00012346');
  });
});

describe('a list under the plural of a sensitive key', () => {
  it.each([
    [{ mrns: ['1234567', '7654321'] }, ['1234567', '7654321']],
    [{ patientIds: [1234567, 7654321] }, ['1234567', '7654321']],
    [{ ssnList: ['078051120'] }, ['078051120']],
    [{ emails: ['a@b.org'] }, ['a@b.org']],
    [{ addresses: ['12 baker street'] }, ['baker']],
    [{ phoneNumbers: '555 0100' }, ['555 0100']],
  ])('%j', (value, gone) => {
    const out = JSON.stringify(r.value(value));
    for (const g of gone) expect(out).not.toContain(g);
  });

  it.each([
    [{ ids: ['1234567'] }],
    [{ names: ['General'] }],
    [{ patients: 3 }],
    [{ statuses: ['ok'] }],
    // a count of tokens (a rate limit's, a retry budget's) is not a list of them
    [{ tokens: 5, maxTokens: 20 }],
  ])('kept: %j', (value) => {
    expect(r.value(value)).toEqual(value);
  });
});
