/**
 * A person's name after a name key in text, as forms and search screens log it: in lower case and
 * over several words (`patientName: jane doe`, `First name: jane, last name: doe`). The value of a
 * `key: value` pair was one token, and a key was one word, so the surname after the first word and
 * every value after a two-word key (`first name:`) were written. The kept cases pin what must stay.
 */
import fc from 'fast-check';
import { createRedactor } from '../../src';

const r = createRedactor();

describe('names after a name key in text', () => {
  it.each([
    ['patientName: jane doe', ['jane', 'doe']],
    ['patientName=jane doe, ward 4', ['jane', 'doe']],
    ['fullName: mary ann o’brien-smith', ['mary', 'ann', 'brien']],
    ['patient_name: jose garcia lopez; dob unknown', ['jose', 'garcia', 'lopez']],
    ['First name: jane, last name: doe', ['jane', 'doe']],
    ['first name: jane', ['jane']],
    ['Last name = doe', ['doe']],
    ['patient name: jane doe', ['jane', 'doe']],
    ['full name: JANE A. DOE', ['JANE', 'DOE']],
    ['Search by last name: okafor returned 3 rows', ['okafor']],
    ['Patient admitted ssn: 078051120', ['078051120']],
    ['mother maiden name: smith', ['smith']],
  ])('%s', (text, values) => {
    const out = r.string(text);
    for (const v of values) expect(out).not.toContain(v);
    expect(out).toContain('[REDACTED');
  });

  it.each([
    // the words after the name that are not names stay
    ['patientName: jane doe admitted to ward 4', 'admitted to ward 4'],
    ['lastName=doe updated by nurse', 'updated by nurse'],
    // a key that names no person keeps its value
    ['hospital name: st mary general', 'st mary general'],
    ['file name: report final.pdf', 'report final.pdf'],
    ['retry count: 3 of 5', '3 of 5'],
    // two words before `:` where neither is a key
    ['request failed: timeout after 30s', 'timeout after 30s'],
  ])('kept: %s', (text, kept) => {
    expect(r.string(text)).toContain(kept);
  });

  it('no given name and surname after a name key is written, in any case (property)', () => {
    const given = fc.constantFrom('jane', 'john', 'maria', 'wei', 'chidi', 'fatima', 'ahmed');
    const family = fc.constantFrom('doe', 'smith', 'garcia', 'zhang', 'okafor', 'nguyen', 'khan');
    fc.assert(
      fc.property(
        fc.constantFrom('patientName', 'patient name', 'full name', 'fullName', 'name of patient'),
        fc.constantFrom(': ', '=', ' = ', ':'),
        given,
        family,
        fc.constantFrom(
          (s: string) => s,
          (s: string) => s.toUpperCase(),
        ),
        (key, sep, g, f, cased) => {
          const out = r.string(`${key}${sep}${cased(g)} ${cased(f)}`);
          if (key === 'name of patient') return; // not a key: only pins that nothing throws
          expect(out).not.toContain(cased(g));
          expect(out).not.toContain(cased(f));
        },
      ),
      { numRuns: 300 },
    );
  });
});
