/**
 * Tables with `|` between columns, as a query result or a report is logged: `name|dob|mrn` rows,
 * psql's output (`-----+-----` under the header, `(1 row)` after) and Markdown tables (`|` at both
 * ends, `|---|---|` under the header). Before, only `,`, tab and `;` were column delimiters, so
 * the MRN and the lower-case names of such rows were written. The kept cases pin what must stay.
 */
import { createRedactor } from '../../src';

const r = createRedactor();

describe('tables with | between columns', () => {
  it('bare pipes: the sensitive columns of every row', () => {
    const out = r.string('name|dob|mrn\njane doe|1980-01-02|1234567\nwei zhang|1975-03-04|7654321');
    for (const v of ['jane', 'doe', '1234567', 'wei', 'zhang', '7654321'])
      expect(out).not.toContain(v);
    expect(out).toContain('name|dob|mrn');
  });

  it("psql's aligned output: the rule under the header, the row count after", () => {
    const out = r.string(
      [
        'query result:',
        ' name     | mrn     | ssn       | ward',
        '----------+---------+-----------+------',
        ' jane doe | 1234567 | 078051120 | 4B',
        ' wei zhang| 7654321 | 219099999 | 5',
        '(2 rows)',
      ].join('\n'),
    );
    for (const v of ['jane', 'doe', '1234567', '078051120', 'wei', 'zhang', '7654321', '219099999'])
      expect(out).not.toContain(v);
    expect(out).toContain('----------+---------+-----------+------');
    expect(out).toContain('| 4B');
    expect(out).toContain('(2 rows)');
  });

  it('a Markdown table: pipes at both ends', () => {
    const out = r.string(
      '| patient_name | mrn | bed |\n|---|:---:|---|\n| jane doe | A0048291 | 12 |\n',
    );
    for (const v of ['jane', 'doe', 'A0048291']) expect(out).not.toContain(v);
    expect(out).toContain('| 12 |');
    expect(out).toContain('|---|:---:|---|');
  });

  it.each([
    // no sensitive column
    'status|count\nok|5\nfailed|2',
    // HL7 is not a table (its segments are read by position)
    'MSH|^~\\&|LAB|HOSP|||20261204||ORU^R01|1|P|2.5',
    // a log line with pipes and no header
    'GET /hospitals | 201 | 12 ms',
  ])('kept: %s', (text) => {
    // (a line break is written as `\n`: only that changes)
    expect(r.string(text)).toBe(text.replaceAll('\n', '\\n'));
  });

  it('a row with another number of columns ends the table', () => {
    const out = r.string('mrn|bed\n1234567|4\nretry 1234 of 5678 done');
    expect(out).not.toContain('1234567');
    expect(out).toContain('retry 1234 of 5678 done');
  });
});
