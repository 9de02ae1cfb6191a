// The tests Stryker runs for each mutant (stryker.config.mjs): the unit tests, all loaded by one
// test file (test/mutation/all-unit.ts) so each mutant run pays the set-up once, and the Redis
// tests that run in this process against the shared test Redis (REDIS_URL, default
// redis://127.0.0.1:6379) under their own key prefix: test/integration/inproc.redis.test.ts and
// controls.redis.test.ts (the #20 controls, memory and Redis), and inbound-paths.redis.test.ts
// (#23: rateLimit's time-out, store-error, refund and block paths through a TCP gate of its own).
// Left out, for run time on a shared 2-core machine: the other integration tests (each case runs
// against a single Redis and a 3-master Cluster it starts, or starts worker processes or its own
// redis-server), the fuzzers (seconds per run) and the linear-cost test (it measures time).
// A 5 s test timeout: a mutant that makes a request hang fails fast. No global setup (the shared
// Redis must be up) and no summary reporter (it would write this package's totals from inside a
// mutant sandbox).
module.exports = require('../../jest.config.base.cjs')(__dirname, {
  testMatch: [
    '<rootDir>/test/mutation/all-unit.ts',
    '<rootDir>/test/integration/inproc.redis.test.ts',
    '<rootDir>/test/integration/controls.redis.test.ts',
    '<rootDir>/test/integration/inbound-paths.redis.test.ts',
  ],
  testTimeout: 5_000,
  globalSetup: undefined,
  globalTeardown: undefined,
  reporters: ['default'],
});
