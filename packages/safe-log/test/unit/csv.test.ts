/**
 * CSV and TSV rows written into a log (an import that failed, a report line): the columns whose
 * header is a sensitive key are redacted in every row below the header, whatever the value looks
 * like (a bare `078051120`, a lower-case name). Before, only values with a shape of their own
 * were found: `078051120,Jane,Doe` wrote the SSN and the surname.
 */
import { createRedactor } from '../../src';

const r = createRedactor();

describe('CSV rows under a header', () => {
  it('redacts the sensitive columns of every row', () => {
    const out = r.string(
      'import failed:\nssn,first,last,ward\n078051120,jane,doe,5\n219099999,wei,zhang,7',
    );
    for (const v of ['078051120', 'jane', 'doe', '219099999', 'wei', 'zhang'])
      expect(out).not.toContain(v);
    // the header and the other columns stay
    expect(out).toContain('ssn,first,last,ward');
    expect(out).toMatch(/,5\\n/);
    expect(out).toMatch(/,7$/);
  });

  it('takes a plain name column as a person name when the row also has an identifier', () => {
    const out = r.string('mrn,name,visit\nA0048291,okafor chidi,2026-11-02T10:00\n');
    expect(out).not.toContain('A0048291');
    expect(out).not.toContain('okafor');
    expect(out).toContain('2026-11-02T10:00');
  });

  it('reads quoted fields with commas, TSV and semicolons', () => {
    const csv = r.string('patient_name,dob\n"Okafor, chidi",03/04/1961');
    expect(csv).not.toContain('Okafor');
    expect(csv).not.toContain('chidi');
    const tsv = r.string('member_id\tplan\nXQZ123456789\tgold');
    expect(tsv).not.toContain('XQZ123456789');
    expect(tsv).toContain('gold');
    const semi = r.string('nom;prenom;lit\r\ndupont;marie;12');
    expect(semi).not.toContain('dupont');
    expect(semi).not.toContain('marie');
    expect(semi).toMatch(/;12$/);
  });

  it('stops at a row with another number of fields', () => {
    const out = r.string('ssn,first\n078051120,jane\ndone, no errors, no warnings');
    expect(out).not.toContain('078051120');
    expect(out).toContain('done, no errors, no warnings');
  });

  it('reads a header after a byte-order mark and with a trailing delimiter', () => {
    expect(r.string('\ufeffmrn,name\n00123456,jane doe')).not.toContain('jane');
    expect(r.string('mrn,name,\n00123456,jane doe,')).not.toContain('jane');
    expect(r.string('"Patient Name","DOB"\n"jane doe","1961"')).not.toContain('jane');
  });

  it.each([
    'SELECT mrn, name, dob\nFROM patients, wards, beds',
    'Patient name, DOB, and MRN are required\nRetry later, then page on-call, or escalate',
    'email,phone\nRetrying in 5s, attempt 2',
  ])('prose and SQL are not a table: %s', (text) => {
    expect(r.string(text)).toBe(text.replace(/\n/g, '\\n'));
  });

  it('leaves text without a sensitive header as it was', () => {
    const text = 'ward,beds,free\n5,20,3\n7,18,0';
    expect(r.string(text)).toBe(text.replace(/\n/g, '\\n'));
  });
});
