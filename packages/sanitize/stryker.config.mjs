// Mutation testing of @resil/sanitize with StrykerJS 9. Run from the repository root:
//   npx stryker run packages/sanitize/stryker.config.mjs   (or: npm run test:mutation:sanitize)
// The sandbox copies only what the unit tests need (this package and the shared Jest base config);
// node_modules is symlinked.
// Property tests (fast-check) run at most this many cases per property for each mutant.
process.env.RESIL_FC_MAX_RUNS ??= '100';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    configFile: 'packages/sanitize/jest.unit.config.cjs',
    enableFindRelatedTests: false,
  },
  mutate: ['packages/sanitize/src/**/*.ts', '!packages/sanitize/src/index.ts'],
  coverageAnalysis: 'perTest',
  // A 2-core machine shared with others: two test runners at most.
  concurrency: 2,
  // Generous: on a loaded machine a slow run must not pass for a timeout (which counts as killed);
  // real infinite loops are stopped early by Stryker's hit limit.
  timeoutMS: 30_000,
  incremental: true,
  incrementalFile: 'packages/sanitize/stryker-incremental.json',
  tempDirName: 'packages/sanitize/.stryker-tmp',
  ignorePatterns: [
    '/*',
    '!/package.json',
    '!/tsconfig.base.json',
    '!/jest.config.base.cjs',
    '!/packages',
    '/packages/*',
    '!/packages/sanitize',
    '/packages/sanitize/dist',
    '/packages/sanitize/reports',
    '/packages/sanitize/stryker-incremental.json',
    '/packages/sanitize/.turbo',
  ],
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'packages/sanitize/reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'packages/sanitize/reports/mutation/mutation.json' },
  thresholds: { high: 90, low: 80, break: 80 },
};
