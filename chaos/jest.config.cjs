// Plain regression tests for what the chaos checker found: npx jest --config chaos/jest.config.cjs
module.exports = require('../jest.config.base.cjs')(__dirname, {
  testMatch: ['<rootDir>/regressions/**/*.test.ts'],
});
