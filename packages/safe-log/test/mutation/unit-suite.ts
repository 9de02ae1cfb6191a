// The unit tests as ONE Jest test file, for Stryker only (jest.mutation.config.cjs): Jest gives
// each test file its own module registry, so winston and the sources would load once per file for
// every mutant; here they load once per mutant run. Every test/unit/*.test.ts is loaded (new ones,
// such as the mutation-*.test.ts files, without touching this file, so Stryker's incremental
// report keeps the keys of the tests it knows) but the ones left out on purpose below.
// `npx jest` does not match this file (no .test.ts suffix).
import fs from 'node:fs';
import path from 'node:path';

/**
 * Left out of mutant runs on purpose. Every mutant run loads every test file it imports, and
 * Stryker runs all the tests that cover a mutant (nearly all of them for the redaction code), so
 * a slow import or test costs its time once per mutant (about 1,900 of them):
 * - eval.test.ts: scores the 2,400-record corpus when the file loads (about 20 s);
 * - redos.test.ts: recheck analyses the regular expressions' text (about 75 s), and its linear-cost
 *   cases time large inputs; a mutant of a pattern's text is a static mutant, not run here;
 * - properties.test.ts: loads @faker-js/faker with all its locales (2 to 5 s per mutant run);
 *   mutation-properties.test.ts pins the HL7, FHIR and labelled-name behaviour exactly;
 * - request-logger.test.ts: loads express and supertest (about 1 s per mutant run);
 *   mutation-request-logger.test.ts drives the middleware with stand-in req/res objects;
 * - package-files.test.ts: runs `npm pack --dry-run` (several seconds) and tests no source file.
 */
export const LEFT_OUT = [
  'eval.test.ts',
  'redos.test.ts',
  'properties.test.ts',
  'request-logger.test.ts',
  'package-files.test.ts',
];

const unit = path.join(__dirname, '..', 'unit');
const files = fs
  .readdirSync(unit)
  .filter((f) => f.endsWith('.test.ts') && !LEFT_OUT.includes(f))
  .sort();
for (const f of files) require(path.join(unit, f));

describe('the unit suite under mutation testing', () => {
  it('loads the unit test files but the ones left out, and the mutation-*.test.ts ones', () => {
    expect(files).toContain('redact.test.ts');
    expect(files).toContain('mutation-request-logger.test.ts');
    expect(files.some((f) => LEFT_OUT.includes(f))).toBe(false);
  });
});
