// The tests Stryker runs for each mutant (stryker.config.mjs): every unit test (memory mode) and
// test/integration/inproc.redis.test.ts, inproc-more.redis.test.ts and link.redis.test.ts
// (in-process breakers on the shared test Redis at REDIS_URL, default redis://127.0.0.1:6379,
// under a unique prefix; link.redis also stops a redis-server of its own), all loaded by test/mutation/all.ts.
// Never run: the tests that start worker processes or a redis-server per test. A 10 s test
// timeout: a mutant that makes a call hang fails fast. No global setup (the shared Redis must be
// up) and no summary reporter (it would write totals from inside a mutant sandbox).
module.exports = require('../../jest.config.base.cjs')(__dirname, {
  testMatch: ['<rootDir>/test/mutation/all.ts'],
  testTimeout: 10_000,
  globalSetup: undefined,
  globalTeardown: undefined,
  reporters: ['default'],
});
