// `npm run test:faults`: the fault suite (real processes, a private Redis it stops and pauses).
const path = require('node:path');

module.exports = require('../../jest.config.base.cjs')(__dirname, {
  reporters: [
    'default',
    [path.join(__dirname, '../../packages/testkit/jest/summary-reporter.cjs'), { label: 'faults' }],
  ],
  testMatch: ['<rootDir>/test/faults/**/*.faults.ts'],
  testTimeout: 120_000,
});
