// The unit tests as ONE Jest test file, for Stryker only (jest.unit.config.cjs): Jest gives each
// test file its own module registry, so express, supertest, helmet and express-validator would
// load once per file for every mutant; here they load once per mutant (about 40 % less CPU per
// mutant run). `npx jest` does not match this file (no .test.ts suffix).
import fs from 'node:fs';
import path from 'node:path';
import '../unit/body-errors.test';
import '../unit/errors.test';
import '../unit/exclude.test';
import '../unit/headers.test';
import '../unit/input-contract.test';
import '../unit/input.test';
import '../unit/regressions.test';
import '../unit/request-contract.test';
import '../unit/request.test';
import '../unit/scan.test';
import '../unit/validate.test';
import '../unit/validate-exact.test';
import '../unit/validate-schema.test';

/** Left out of mutant runs on purpose (see jest.unit.config.cjs). */
const LEFT_OUT = ['fuzz.test.ts', 'linear-cost.test.ts', 'peers.test.ts', 'redos.test.ts'];

describe('the unit suite under mutation testing', () => {
  it('imports every unit test file but the ones left out on purpose', () => {
    const here = fs.readFileSync(__filename, 'utf8');
    const imported = [...here.matchAll(/^import '\.\.\/unit\/(.+)';$/gm)].map((m) => `${m[1]}.ts`);
    const all = fs
      .readdirSync(path.join(__dirname, '..', 'unit'))
      .filter((f) => f.endsWith('.test.ts'));
    expect(imported.sort()).toEqual(all.filter((f) => !LEFT_OUT.includes(f)).sort());
  });
});
