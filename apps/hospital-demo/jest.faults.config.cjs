// `npm run test:faults`: the fault suite (real processes, a private Redis it stops and pauses).
module.exports = require('../../jest.config.base.cjs')(__dirname, {
  testMatch: ['<rootDir>/test/faults/**/*.faults.ts'],
  testTimeout: 120_000,
});
