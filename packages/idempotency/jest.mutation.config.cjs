// The tests Stryker runs for each mutant (stryker.config.mjs): the unit tests (memory store, no
// network) and the Redis tests that run in this process against the shared test Redis
// (REDIS_URL, default redis://127.0.0.1:6379) under their own key prefixes. Left out: the tests
// that start worker processes or their own redis-server (shared, outage, replicas: minutes per
// mutant, and a sandbox per mutant), and the linear-cost test (it measures time, kills no mutant
// a faster test does not). No global setup (the shared Redis must be up) and no summary reporter
// (it would write this package's totals from inside a mutant sandbox).
module.exports = require('../../jest.config.base.cjs')(__dirname, {
  testMatch: [
    '<rootDir>/test/unit/**/*.test.ts',
    '<rootDir>/test/integration/store.redis.test.ts',
    '<rootDir>/test/integration/fuzz.redis.test.ts',
    '<rootDir>/test/integration/issue16.redis.test.ts',
  ],
  testPathIgnorePatterns: ['/node_modules/', '\\.cost\\.test\\.ts$'],
  globalSetup: undefined,
  globalTeardown: undefined,
  reporters: ['default'],
  moduleNameMapper: { '^@resil/safe-log$': '<rootDir>/test/stubs/safe-log.ts' },
});
