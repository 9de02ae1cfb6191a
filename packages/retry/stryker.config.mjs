// Mutation testing of @resil/retry with StrykerJS 9. Run from the repository root:
//   npx stryker run packages/retry/stryker.config.mjs      (or: npm run test:mutation)
// The sandbox copies only what the unit tests need (this package and the shared Jest base config);
// node_modules is symlinked, so @resil/core resolves to the workspace (its TypeScript sources, through
// the "@resil/source" export condition) as usual.
// Property tests (fast-check) run at most this many cases per property for each mutant.
process.env.RESIL_FC_MAX_RUNS ??= '50';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    configFile: 'packages/retry/jest.unit.config.cjs',
    enableFindRelatedTests: false,
  },
  mutate: ['packages/retry/src/**/*.ts', '!packages/retry/src/index.ts'],
  coverageAnalysis: 'perTest',
  // A 2-core machine shared with others: two test runners at most.
  concurrency: 2,
  // Generous: on a loaded machine a slow run must not pass for a timeout (which counts as killed);
  // real infinite loops are stopped early by Stryker's hit limit.
  timeoutMS: 30_000,
  incremental: true,
  // Committed, so CI re-runs only the mutants whose code or covering tests changed (not shipped:
  // package.json `files` lists dist, src and the docs only).
  incrementalFile: 'packages/retry/stryker-incremental.json',
  tempDirName: 'packages/retry/.stryker-tmp',
  ignorePatterns: [
    '/*',
    '!/package.json',
    '!/tsconfig.base.json',
    '!/jest.config.base.cjs',
    '!/packages',
    '/packages/*',
    '!/packages/retry',
    '/packages/retry/dist',
    '/packages/retry/reports',
    '/packages/retry/stryker-incremental.json',
    '/packages/retry/.turbo',
  ],
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'packages/retry/reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'packages/retry/reports/mutation/mutation.json' },
  thresholds: { high: 90, low: 80, break: 80 },
};
