// Unit tests only, for Stryker (packages/core/stryker.config.mjs), all loaded by one test file
// (test/mutation/all-unit.ts) so each mutant run pays the set-up once; no Redis global setup and
// no summary reporter (it would write this package's totals from inside a mutant sandbox).
module.exports = require('../../jest.config.base.cjs')(__dirname, {
  testMatch: ['<rootDir>/test/mutation/all-unit.ts'],
  globalSetup: undefined,
  globalTeardown: undefined,
  reporters: ['default'],
});
