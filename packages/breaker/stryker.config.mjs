// Mutation testing of @resil/breaker with StrykerJS 9. Run from the repository root:
//   npx stryker run packages/breaker/stryker.config.mjs   (or: npm run test:mutation:breaker)
// Needs the test Redis at REDIS_URL (default redis://127.0.0.1:6379): the tests it runs are listed
// in jest.mutation.config.cjs (unit tests, and the in-process tests on the shared Redis under a
// unique prefix). The sandbox copies only this package, the test helpers and the shared Jest base
// config; node_modules is symlinked.

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    configFile: 'packages/breaker/jest.mutation.config.cjs',
    enableFindRelatedTests: false,
  },
  // index.ts only re-exports.
  mutate: ['packages/breaker/src/**/*.ts', '!packages/breaker/src/index.ts'],
  coverageAnalysis: 'perTest',
  // Static mutants (module-level constants: KNOWN options, ERROR_CODES, the Lua scripts) would each
  // need the whole suite; they are not run and not counted. The scripts are pinned by
  // test/integration/inproc.redis.test.ts (hash fields after each transition).
  ignoreStatic: true,
  // A 2-core machine shared with others: two test runners at most.
  concurrency: 2,
  // On a loaded machine a slow run must not pass for a timeout (which counts as killed).
  timeoutMS: 20_000,
  incremental: true,
  incrementalFile: 'packages/breaker/reports/stryker-incremental.json',
  tempDirName: 'packages/breaker/.stryker-tmp',
  ignorePatterns: [
    '/*',
    '!/package.json',
    '!/tsconfig.base.json',
    '!/jest.config.base.cjs',
    '!/packages',
    '/packages/*',
    '!/packages/breaker',
    '!/packages/testkit',
    '/packages/breaker/dist',
    '/packages/breaker/reports',
    '/packages/breaker/.turbo',
  ],
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'packages/breaker/reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'packages/breaker/reports/mutation/mutation.json' },
  thresholds: { high: 90, low: 80, break: 80 },
};
