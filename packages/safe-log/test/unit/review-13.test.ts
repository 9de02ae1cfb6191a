/**
 * A fresh-eyes review of the 2026-12-04 rules (identifiers named together, names after a name
 * key, `|` tables, plural keys and labels) found leaks and false positives; each case here failed
 * on the code it reviewed. The kept cases pin ordinary operational text.
 */
import { createRedactor } from '../../src';

const r = createRedactor();
const gone = (text: string, ...values: string[]) => {
  const out = r.string(text);
  for (const v of values) expect(out).not.toContain(v);
  return out;
};

describe('names after a two-word name key, in any case', () => {
  it.each([
    ['Patient Name: Jane Wojciechowska', ['Jane', 'Wojciechowska']],
    ['Patient Name: Jane Q Public', ['Jane', 'Public']],
    ['Full Name: Jane van der Berg', ['Jane', 'Berg']],
    ['PATIENT NAME: DOE, JANE', ['DOE', 'JANE']],
    ['patientName: okafor, chidi', ['okafor', 'chidi']],
  ])('%s', (text, values) => {
    gone(text, ...values);
  });

  it.each([
    ['firstName: jane will be notified', 'will be notified'],
    ['lastName: doe mark as read', 'mark as read'],
    ['first name: jane, ward 4', 'ward 4'],
  ])('kept after the name: %s', (text, kept) => {
    expect(r.string(text)).toContain(kept);
  });
});

describe('psql tables', () => {
  it('a NULL in the last or first column keeps the row in the table', () => {
    gone(
      ' mrn | first_name | discharged_at\n-----+------------+--------------\n 1234567 | jane | \n 7654321 | john | 2026-12-01',
      '1234567',
      '7654321',
      'jane',
      'john',
    );
    gone(
      ' ward | mrn | first_name\n------+-----+-----------\n      | 1234567 | jane',
      '1234567',
      'jane',
    );
  });

  it('expanded output (\\x): each `key | value` line of a record', () => {
    const out = gone(
      '-[ RECORD 1 ]-+--------\nmrn          | 1234567\nfirst_name   | jane\nlast_name    | doe\nward         | 4B',
      '1234567',
      'jane',
      'doe',
    );
    expect(out).toContain('last_name');
    expect(out).toContain('4B');
  });
});

describe('lists after a sensitive key', () => {
  it.each([
    ["MRNs: [ '1234567', '7654321' ]", ['1234567', '7654321']],
    ['mrns=[1234567,7654321]', ['1234567', '7654321']],
    ['patientIds: [12, 345678]', ['345678']],
  ])('%s', (text, values) => {
    gone(text, ...values);
  });
});

describe('an identifier found inside JSON in a string marks its shape in the rest', () => {
  it('request body={"patientId":"8812345"} duplicate of 8812346', () => {
    gone('request body={"patientId":"8812345"} duplicate of 8812346', '8812345', '8812346');
  });
});

describe('more forms of a patient or encounter number', () => {
  it.each([
    'Patient 1234567-8 admitted',
    'encounter 12345678-01 closed',
    'Pt#12345678 seen',
    'Patient#12345678 seen',
    'Patient: 12345678',
    'visit 12345678 closed',
  ])('%s', (text) => {
    const out = r.string(text);
    expect(out).toContain('[REDACTED:mrn]');
    expect(out).not.toMatch(/\d{6}/);
  });
});

describe('kept: counts, sizes, times and versions beside an identifier', () => {
  it.each([
    ['Received 1234567 bytes for MRN 7654321', '1234567 bytes'],
    ['mrn: 10042 fetched 20481 bytes in 30000 ms', '20481 bytes in 30000 ms'],
    ['callback phone=6175550123 scheduled_at=1733280000', '1733280000'],
    ['processing patient 125000 of 400000', '125000 of 400000'],
    ['pt 123456 rows updated', '123456 rows'],
    ['Helm charts 1.2.3 deployed', 'charts 1.2.3'],
    ['devices 12 online', 'devices 12'],
    ['MRN 1234567 batch 2 of 7654321 done', 'of 7654321'],
  ])('%s', (text, kept) => {
    expect(r.string(text)).toContain(kept);
  });
});
