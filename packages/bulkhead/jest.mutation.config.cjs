// For Stryker only (packages/bulkhead/stryker.config.mjs): one test file (test/mutation/all.ts)
// loads the unit tests and the shared-Redis suite, so each mutant run pays the set-up once. The
// base config's global setup stays (it makes sure REDIS_URL names a Redis that answers); no
// summary reporter (it would write this package's totals from inside a mutant sandbox).
module.exports = require('../../jest.config.base.cjs')(__dirname, {
  testMatch: ['<rootDir>/test/mutation/all.ts'],
  reporters: ['default'],
});
