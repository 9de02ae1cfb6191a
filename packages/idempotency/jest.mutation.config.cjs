// The tests Stryker runs for each mutant (stryker.config.mjs): the unit tests (memory store, no
// network) and the Redis tests that run in this process against the shared test Redis
// (REDIS_URL, default redis://127.0.0.1:6379) under their own key prefixes: store.redis.test.ts.
// Left out, for run time on a shared 2-core machine (a mutant in the request path is covered by
// every HTTP test): the tests that start worker processes or their own redis-server (shared,
// outage, replicas), issue16.redis.test.ts (its #16.1 alone holds leases for 3 s per mutant),
// fuzz.redis.test.ts (the same properties as the memory-store fuzzer) and the linear-cost test
// (it measures time). A 5 s test timeout: a mutant that makes a request hang fails fast. No
// global setup (the shared Redis must be up) and no summary reporter (it would write this
// package's totals from inside a mutant sandbox).
module.exports = require('../../jest.config.base.cjs')(__dirname, {
  testMatch: ['<rootDir>/test/unit/**/*.test.ts', '<rootDir>/test/integration/store.redis.test.ts'],
  testTimeout: 5_000,
  testPathIgnorePatterns: ['/node_modules/', '\\.cost\\.test\\.ts$'],
  globalSetup: undefined,
  globalTeardown: undefined,
  reporters: ['default'],
  moduleNameMapper: { '^@resil/safe-log$': '<rootDir>/test/stubs/safe-log.ts' },
});
