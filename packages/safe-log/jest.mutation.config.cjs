// The tests Stryker runs for each mutant (stryker.config.mjs): one Jest test file,
// test/mutation/unit-suite.ts, which imports the unit test files (one module registry per mutant
// run instead of one per file). Left out of the mutant runs:
// - redos.test.ts: recheck analyses the text of the regular expressions (Stryker's instrumented
//   sources hold the same sources; a mutant there is a static one, not run) and the linear-cost
//   cases time large inputs: about 75 s per run on the shared machine;
// - eval.test.ts: scores the 2,400-record corpus when the file loads, about 20 s per mutant run
//   whichever test covers the mutant; the exact tests (test/unit/mutation-*.test.ts) pin the
//   behaviour it measures.
// fast-check is mapped to test/mutation/fast-check.ts, which caps every property at
// RESIL_FC_MAX_RUNS cases (set by stryker.config.mjs). @faker-js/faker and eval/corpus (imported
// by names-regressions.test.ts only, for faker's name lists and NAME_LOCALES) are mapped to
// test/mutation/faker-names.ts and name-locales.ts: the same data without loading faker's 77
// locales (about 1 s per mutant run); test/mutation/mutation-stand-ins.test.ts checks they
// agree. No global setup (no Redis here) and no
// summary reporter (it would write this package's totals from inside a mutant sandbox).
module.exports = require('../../jest.config.base.cjs')(__dirname, {
  testMatch: ['<rootDir>/test/mutation/unit-suite.ts'],
  transformIgnorePatterns: ['/node_modules/(?!@faker-js/faker/)'],
  globalSetup: undefined,
  globalTeardown: undefined,
  reporters: ['default'],
  testTimeout: 10_000,
  moduleNameMapper: {
    '^fast-check$': '<rootDir>/test/mutation/fast-check.ts',
    '^@faker-js/faker$': '<rootDir>/test/mutation/faker-names.ts',
    '^\\.\\./\\.\\./eval/corpus$': '<rootDir>/test/mutation/name-locales.ts',
  },
});
