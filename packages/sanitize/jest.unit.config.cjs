// Unit tests only, for Stryker (packages/sanitize/stryker.config.mjs): no Redis global setup and
// no summary reporter (it would write this package's totals from inside a mutant sandbox).
// Jest runs one file, test/mutation/unit-suite.ts, which imports the unit test files (one module
// registry per mutant run instead of one per file). Left out of the mutant runs: the linear-cost
// tests (they measure CPU time and kill no mutant a faster test does not), the ReDoS gate (it
// checks the text of src/, which Stryker instruments), the HTTP fuzzer (hundreds of requests
// per mutant; its properties are pinned by exact tests in the other files) and the missing-peer
// test (a Node process each; the loader's branches are pinned in-process). Property tests run
// RESIL_FC_MAX_RUNS cases at most (set by the Stryker config). The browser test is not a unit test.
module.exports = require('../../jest.config.base.cjs')(__dirname, {
  testMatch: ['<rootDir>/test/mutation/unit-suite.ts'],
  globalSetup: undefined,
  globalTeardown: undefined,
  reporters: ['default'],
  // A mutant that stops the middleware from answering (no next(), no response) hangs a supertest
  // request until this timeout: 10 s fails it (killed) three times faster than the base 30 s, and
  // stays far above the slowest test here (about 1 s on a loaded machine).
  testTimeout: 10_000,
});
